using RunbookHost.Keys.Age;
using RunbookHost.Keys.Sops;
using RunbookHost.Registry;
using RunbookHost.Runbooks;
using RunbookHost.Tenants;

namespace RunbookHost.Keys.KeyRing;

/// <summary>
/// The key that opens a backup of a tenant's secrets (spec §7.3), found without trial decryption: a SOPS file names
/// its age recipients (<c>sops.age[].recipient</c>), and the key history names each key version's public key. No key
/// material and no secret value is ever held here, only where the key file is.
/// </summary>
public sealed class BackupKey : IStepDetail
{
    internal BackupKey(TenantId tenant, IReadOnlyList<string> recipients, string? publicKey, string? keyPath, TenantKeyRecord? version)
    {
        Tenant = tenant;
        Recipients = recipients;
        PublicKey = publicKey;
        KeyPath = keyPath;
        Version = version;
    }

    public TenantId Tenant { get; }
    /// <summary>The backup's age recipients, as the file names them.</summary>
    internal IReadOnlyList<string> Recipients { get; }
    /// <summary>The recipient that matched a key of the tenant (null when none did).</summary>
    public string? PublicKey { get; }
    /// <summary>The key file on disk for <see cref="PublicKey"/>; null when it is gone (purged) or unknown.</summary>
    internal string? KeyPath { get; }
    /// <summary>The key history row of <see cref="PublicKey"/>; null without a registry, or for a key it never recorded.</summary>
    internal TenantKeyRecord? Version { get; }
    /// <summary>The key version that opens the backup, as the registry numbers it (null when unknown).</summary>
    public int? KeyVersion => Version?.KeyVersion;

    /// <summary>What a runbook step that found this key records in the evidence: <see cref="Explain"/>.</summary>
    public string Detail => (CanDecrypt ? "opened by " : "") + Explain();

    public bool CanDecrypt => KeyPath is not null;

    /// <summary>One line for the operator: which key version opens the backup and its validity window, or why none can.</summary>
    public string Explain()
    {
        var version = Version is { } v ? $"key version {v.KeyVersion} of tenant {Tenant}" : $"a key of tenant {Tenant} the registry has no record of";
        var window = Version is { } w ? $", valid {w.Window}" : "";
        if (KeyPath is not null)
            return $"{version} ({Path.GetFileName(KeyPath)}{(Version is { } s ? ", " + s.Status : "")}{window}), recipient {PublicKey}";
        if (Version is { Status: KeyStatus.Purged } purged)
            return $"the backup was encrypted to key version {purged.KeyVersion} of tenant {Tenant} ({purged.KeyFile ?? "file name not recorded"}{window}), " +
                   $"which was purged on {(purged.PurgedAt is { } at ? TenantKeyRecord.Stamp(at) : "an unrecorded date")}: this backup can no longer be decrypted";
        if (Version is { } missing)
            return $"the backup was encrypted to key version {missing.KeyVersion} of tenant {Tenant} ({missing.Status}{window}), but its key file " +
                   $"{missing.KeyFile ?? ""} is not in the tenant's folder: restore the key file from the secrets folder's own backup";
        return $"none of the backup's age recipients ({string.Join(", ", Recipients)}) is a key of tenant {Tenant}, active, archived or purged: " +
               "it is not a backup of this tenant's secrets";
    }

    /// <summary>Throws <see cref="BackupKeyException"/> (with <see cref="Explain"/>) when no key on disk opens the backup.</summary>
    internal AgeX25519Identity RequireIdentity() =>
        KeyPath is { } path ? KeyFile.ReadIdentity(path) : throw new BackupKeyException(Explain());
}

/// <summary>No key of the tenant can open a backup (purged, missing, or not the tenant's): a "no usable key" with the reason.</summary>
public sealed class BackupKeyException(string message) : SopsException(message);

public static class BackupKeys
{
    /// <summary>The tenant's key files on disk by recipient: key.age, key-new.age (mid-rotation) and every archived key.</summary>
    public static IReadOnlyDictionary<string, string> KeyFilesOnDisk(TenantKeyRing ring, TenantId tenant)
    {
        ArgumentNullException.ThrowIfNull(ring);
        var files = ring.Files(tenant);
        var found = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var path in new[] { files.Key, files.NewKey })
            if (File.Exists(path)) found.TryAdd(KeyFile.RecipientOf(path), path);
        foreach (var archived in ring.ArchivedKeys(tenant))
            found.TryAdd(archived.PublicKey, archived.Path);
        return found;
    }

    /// <summary>
    /// Records each key file's public key and name in the key history (the backfill for rows older than migration 8, and the
    /// archive name a rotation gave the key), then reads the history, newest version first. Writes: only from a step that
    /// changes something (rotate, archive, restore install, purge); reading paths use <see cref="HistoryAsync"/>.
    /// </summary>
    public static async Task<IReadOnlyList<TenantKeyRecord>> SyncHistoryAsync(TenantKeyRing ring, TenantRegistry registry, TenantId tenant, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(registry);
        await registry.RecordKeyFilesAsync(tenant, NamedKeyFiles(ring, tenant), cancellationToken).ConfigureAwait(false);
        return await registry.GetKeyHistoryAsync(tenant, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The key history, newest version first, with the same backfill as <see cref="SyncHistoryAsync"/> computed in memory:
    /// nothing is written (a dry run, a check, <c>tenants --keys</c> and <c>secrets decrypt --tenant</c> only read).
    /// </summary>
    public static async Task<IReadOnlyList<TenantKeyRecord>> HistoryAsync(TenantKeyRing ring, TenantRegistry registry, TenantId tenant, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(registry);
        var stored = await registry.GetKeyHistoryAsync(tenant, cancellationToken).ConfigureAwait(false);
        var byHash = NamedKeyFiles(ring, tenant).ToDictionary(k => TenantRegistry.PublicKeyHash(k.PublicKey), k => k);
        return stored.Select(row => row.Status != KeyStatus.Purged && byHash.TryGetValue(row.PublicKeyHash, out var file)
            ? row with { AgePublicKey = file.PublicKey, KeyFile = file.FileName }
            : row).ToList();
    }

    private static List<(string PublicKey, string FileName)> NamedKeyFiles(TenantKeyRing ring, TenantId tenant) =>
        KeyFilesOnDisk(ring, tenant)
            .Where(k => Path.GetFileName(k.Value) != TenantKeyFiles.NewKeyName) // not in the history until the rotation records it
            .Select(k => (k.Key, Path.GetFileName(k.Value)))
            .ToList();

    /// <summary>Matches the backup's recipients against the key files on disk and the key history (by public-key hash, so even a key purged before the registry kept public keys is named).</summary>
    public static BackupKey Find(TenantKeyRing ring, TenantId tenant, ReadOnlySpan<byte> backup, SopsFormat format, IReadOnlyList<TenantKeyRecord> history)
    {
        ArgumentNullException.ThrowIfNull(history);
        var recipients = Sops.Sops.ReadMetadata(backup, format).Age.Select(a => a.Recipient).Distinct(StringComparer.Ordinal).ToList();
        if (recipients.Count == 0)
            throw new BackupKeyException("the file has no age recipient (sops.age is empty): it was not encrypted to a tenant key");
        var onDisk = KeyFilesOnDisk(ring, tenant);
        TenantKeyRecord? Row(string recipient) => history.FirstOrDefault(h => h.PublicKeyHash == TenantRegistry.PublicKeyHash(recipient));
        foreach (var recipient in recipients)
        {
            if (onDisk.TryGetValue(recipient, out var path))
                return new BackupKey(tenant, recipients, recipient, path, Row(recipient));
        }
        foreach (var recipient in recipients)
        {
            if (Row(recipient) is { } row)
                return new BackupKey(tenant, recipients, recipient, null, row);
        }
        return new BackupKey(tenant, recipients, null, null, null);
    }
}
