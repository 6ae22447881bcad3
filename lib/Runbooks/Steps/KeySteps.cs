using RunbookHost.Evidence;
using RunbookHost.Keys.KeyRing;
using RunbookHost.Stores;

namespace RunbookHost.Runbooks.Steps;

/// <summary>The tenant's key ring (spec §6-§7: age key, SOPS secrets, rotation, archive, purge) as runbook steps, bound to one tenant's run.</summary>
public sealed class KeySteps
{
    private readonly TenantRun run;

    internal KeySteps(TenantRun run) => this.run = run;

    private TenantKeyRing Ring => run.KeyRing;

    /// <summary>§6.2: the tenant's age key pair (kept if it exists), recorded as the tenant's keys component.</summary>
    public IRunbookOperation EnsureKey() => Recording(Ring.EnsureKey(run.Tenant));

    /// <summary>§6.3-§6.4: generated credentials in the SOPS-encrypted secrets file (kept if it exists).</summary>
    public IRunbookOperation EnsureSecrets() => Ring.EnsureSecrets(run.Tenant);

    /// <summary>Deprovision: the active key moved to the archive (kept for backup recovery until purged, §7.3).</summary>
    public IRunbookOperation ArchiveKey() => Ring.ArchiveKey(run.Tenant);

    /// <summary>§7.2: one rotation of the tenant's key, as separately named, resumable steps.</summary>
    public KeyRotation Rotation(string reason) => Ring.Rotation(run.Tenant, reason);

    /// <summary>Archived keys past the retention (<paramref name="retentionDays"/>, or Keys:ArchiveRetentionDays when empty).</summary>
    public Task<IReadOnlyList<ArchivedKey>> DueForPurge(string retentionDays) =>
        Task.FromResult(Ring.ArchivedKeysDueForPurge(run.Tenant, RetentionDays(retentionDays)));

    /// <summary>
    /// §7.3 before a purge: for each key, the dates of the backups that will no longer be recoverable (its validity window from
    /// the key history with the key files' names filled in memory: a read, so nothing is written, in a dry run or not).
    /// </summary>
    public async Task<PurgeImpact> BackupsLostByPurge(IReadOnlyList<ArchivedKey> keys)
    {
        var history = run.Services.Registry is { } registry && run.Scope.Components.IsKnown
            ? await BackupKeys.HistoryAsync(Ring, registry, run.Tenant, run.Scope.CancellationToken)
            : null;
        return PurgeImpact.Of(keys, history);
    }

    /// <summary>
    /// §7.3: restoring the tenant's secrets from the backup at <paramref name="file"/>, as named steps (the key that opens it,
    /// the difference by key name, the atomic install re-encrypted to the active key). The path is validated by the first step.
    /// Without <paramref name="applyToStores"/> a backup whose store credentials differ from today's is refused (exit 2).
    /// </summary>
    public SecretsRestore Restore(string file, bool applyToStores) => Ring.Restore(run.Tenant, file, run.Services.Registry, applyToStores);

    public int RetentionDays(string given) => given.Length > 0
        ? int.Parse(given, System.Globalization.CultureInfo.InvariantCulture)
        : run.Services.Settings.Keys.ArchiveRetentionDays;

    /// <summary>True when <paramref name="key"/> still opens the tenant's secrets file: then it must never be purged.</summary>
    public bool StillDecryptsSecrets(ArchivedKey key) => Ring.StillDecryptsSecrets(run.Tenant, key);

    /// <summary>A deprovisioned tenant (no active key) whose secrets file only archived keys still open.</summary>
    public bool IsDeprovisionedWithSecrets => !Ring.HasKey(run.Tenant) && Ring.HasSecrets(run.Tenant);

    /// <summary>The archived keys that still open the tenant's secrets file.</summary>
    public IReadOnlyList<ArchivedKey> KeysOpeningSecrets() => Ring.ArchivedKeys(run.Tenant).Where(StillDecryptsSecrets).ToList();

    public IRunbookOperation PurgeArchivedKey(ArchivedKey key) => Ring.PurgeArchivedKey(run.Tenant, key);

    public IRunbookOperation PurgeDeprovisionedSecrets() => Ring.PurgeDeprovisionedSecrets(run.Tenant);

    /// <summary>
    /// The secrets files restores kept for rollback (old credentials and CA keys): every one at deprovision
    /// (<paramref name="retentionDays"/> null), those kept that many days or more ago at purge.
    /// </summary>
    public IRunbookOperation PurgeReplacedSecrets(int? retentionDays) => Ring.PurgeReplacedSecrets(run.Tenant, retentionDays);

    /// <summary>§7.3: the archived key file is gone.</summary>
    public ICheckOperation VerifyPurged(ArchivedKey key) => new CheckOperation([$"{key.FileName} no longer exists"], _ =>
    {
        var gone = !File.Exists(key.Path);
        return Task.FromResult<IReadOnlyList<CheckRecord>>(
            [new("keys", $"archived_key_purged {key.FileName}", gone ? CheckResults.Pass : "FAIL: the file is still there", default, gone)]);
    });

    /// <summary>§9.1 "Encryption": the secrets decrypt with the tenant's key only, and no other tenant's key opens them.</summary>
    /// <remarks>The key ring is local, so its files are their own record: a tenant with a key or a secrets file is probed even when the registry is unknown.</remarks>
    public ICheckOperation VerifyEncryption() =>
        Ring.HasKey(run.Tenant) || Ring.HasSecrets(run.Tenant) || run.Scope.InsteadOfProbing(Component.Keys, EncryptionChecks.Store, "secrets_decrypt_with_tenant_key", null) is not { } instead
            ? new CheckOperation(["decrypt the tenant's secrets with its own key; check it is the only recipient; try other tenants' keys (must fail)"],
                async _ => Ring.VerifyEncryption(run.Tenant, await run.OtherTenants()))
            : CheckOperation.Fixed(instead);

    /// <summary>§7.2 after a rotation: the active key decrypts the secrets, the old key is archived and no longer decrypts them.</summary>
    public ICheckOperation VerifyRotation(KeyRotation rotation) => new CheckOperation(
        ["the active key decrypts the secrets; the archived old key does not; the old key is in the archive"], _ =>
        {
            var decrypting = Ring.KeysThatDecryptSecrets(run.Tenant);
            var activeDecrypts = decrypting.Contains(TenantKeyFiles.KeyName);
            var oldRevoked = !decrypting.Contains(rotation.ArchivedKeyFile ?? "");
            var archived = Ring.ArchivedKeys(run.Tenant).Any(a => a.PublicKey == rotation.OldPublicKey);
            return Task.FromResult<IReadOnlyList<CheckRecord>>(
            [
                new("keys", "secrets_decrypt_with_active_key", activeDecrypts ? CheckResults.Pass : "FAIL: key.age does not decrypt the secrets", default, activeDecrypts),
                new("keys", "old_key_no_longer_decrypts", oldRevoked ? CheckResults.Pass : "FAIL: the archived old key still decrypts the secrets", default, oldRevoked),
                new("keys", "old_key_archived", archived ? $"PASS: {rotation.ArchivedKeyFile}" : "FAIL: the old key is not archived", default, archived),
            ]);
        });

    private RunbookOperation Recording(IRunbookOperation operation) => new(operation.Describe(),
        async ct =>
        {
            await operation.ApplyAsync(ct);
            await run.Provisioned(Component.Keys, null, ct);
        },
        operation.Rollback);
}
