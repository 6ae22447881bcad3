using RunbookHost.IO;
using RunbookHost.Keys.Age;
using RunbookHost.Keys.Sops;
using RunbookHost.Runbooks;
using RunbookHost.Tenants;

namespace RunbookHost.Keys.KeyRing;

/// <summary>
/// The per-tenant key ring under <c>Paths.Secrets</c> (spec §6.2–§6.5, §7, §8.3): each tenant's age key
/// (the KEK), its SOPS-encrypted credentials, rotation, archive and purge. Writes are returned as
/// <see cref="IRunbookOperation"/>s so a runbook names each one as a step; reads are plain methods.
/// Plaintext credentials exist only in memory. No operation deletes or replaces the last key that
/// decrypts the tenant's secrets file (docs/keys.md argues it step by step).
/// </summary>
public sealed class TenantKeyRing
{
    private static readonly TimeSpan LockTimeout = TimeSpan.FromMinutes(2);

    public TenantKeyRing(string secretsRoot, TimeProvider? clock = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(secretsRoot);
        SecretsRoot = Path.GetFullPath(secretsRoot);
        Clock = clock ?? TimeProvider.System;
    }

    public string SecretsRoot { get; }
    public TimeProvider Clock { get; }

    public TenantKeyFiles Files(TenantId tenant) => new(SecretsRoot, tenant ?? throw new ArgumentNullException(nameof(tenant)));

    // ------------------------------------------------------------------ reads

    public bool HasKey(TenantId tenant) => File.Exists(Files(tenant).Key);

    public bool HasSecrets(TenantId tenant) => File.Exists(Files(tenant).Secrets);

    /// <summary>True while a rotation is unfinished (its journal exists).</summary>
    public bool RotationInProgress(TenantId tenant) => File.Exists(Files(tenant).Journal);

    /// <summary>The active recipient (<c>age1...</c>), read from <c>key.age</c> itself.</summary>
    public string PublicKey(TenantId tenant)
    {
        var files = Files(tenant);
        return File.Exists(files.Key) ? KeyFile.RecipientOf(files.Key) : throw new KeyRingException($"tenant {tenant} has no key ({files.Relative(files.Key)})");
    }

    /// <summary>Decrypts the tenant's credentials with the current key (or, mid-rotation, the new one).</summary>
    public TenantSecrets LoadSecrets(TenantId tenant)
    {
        var files = Files(tenant);
        if (!File.Exists(files.Secrets))
            throw new KeyRingException($"tenant {tenant} has no secrets file ({files.Relative(files.Secrets)})");
        var identities = new List<IAgeIdentity>();
        foreach (var key in new[] { files.Key, files.NewKey })
            if (File.Exists(key)) identities.Add(KeyFile.ReadIdentity(key));
        if (identities.Count == 0)
            throw new KeyRingException($"tenant {tenant} has no key ({files.Relative(files.Key)})");
        try
        {
            return TenantSecrets.FromValues(Sops.Sops.DecryptToDictionary(File.ReadAllBytes(files.Secrets), SopsFormat.Yaml, new AgeSopsKeyService(identities)));
        }
        catch (SopsException error)
        {
            throw new KeyRingException($"the secrets of tenant {tenant} do not decrypt with its key: {error.Message}");
        }
    }

    /// <summary>The names of the key files present on disk that decrypt the current secrets file (empty when none does — never expected).</summary>
    public IReadOnlyList<string> KeysThatDecryptSecrets(TenantId tenant)
    {
        var files = Files(tenant);
        var secrets = File.ReadAllBytes(files.Secrets);
        return new[] { files.Key, files.NewKey }.Concat(ArchivedKeys(tenant).Select(a => a.Path))
            .Where(k => KeyFile.Opens(k, secrets))
            .Select(Path.GetFileName)
            .ToList()!;
    }

    /// <summary>Archived keys of the tenant, oldest first.</summary>
    public IReadOnlyList<ArchivedKey> ArchivedKeys(TenantId tenant)
    {
        var folder = Files(tenant).Folder;
        if (!Directory.Exists(folder))
            return [];
        var list = new List<ArchivedKey>();
        foreach (var path in Directory.EnumerateFiles(folder, "key-*-archived.age"))
        {
            if (ArchivedKey.TryParseName(Path.GetFileName(path), out var day, out var sequence))
                list.Add(new ArchivedKey(path, day, sequence, KeyFile.RecipientOf(path)));
        }
        return list.OrderBy(a => a.ArchivedOn).ThenBy(a => a.Sequence).ToList();
    }

    /// <summary>Archived keys whose archive date is at least <paramref name="retentionDays"/> days before today (UTC).</summary>
    public IReadOnlyList<ArchivedKey> ArchivedKeysDueForPurge(TenantId tenant, int retentionDays)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(retentionDays);
        var today = Today();
        return ArchivedKeys(tenant).Where(a => a.AgeInDays(today) >= retentionDays).ToList();
    }

    /// <summary>True when <paramref name="key"/> still decrypts the tenant's secrets file (then it must not be purged).</summary>
    public bool StillDecryptsSecrets(TenantId tenant, ArchivedKey key)
    {
        ArgumentNullException.ThrowIfNull(key);
        var files = Files(tenant);
        return File.Exists(files.Secrets) && KeyFile.Opens(key.Path, File.ReadAllBytes(files.Secrets));
    }

    // ------------------------------------------------------------------ writes

    /// <summary>§6.2: create <c>key.age</c> (0600) and <c>key.pub</c> if absent; an existing key is kept (and <c>key.pub</c> repaired from it).</summary>
    public IRunbookOperation EnsureKey(TenantId tenant)
    {
        var files = Files(tenant);
        return new RunbookOperation(
            [
                $"mkdir -m 0700 {files.Relative(files.Folder)}",
                $"if absent: create {files.Relative(files.Key)} (0600, new age X25519 identity, age-keygen format)",
                $"write {files.Relative(files.PublicKey)} (the recipient of {TenantKeyFiles.KeyName})",
            ],
            _ =>
            {
                using var _lock = KeyRingLock.Acquire(files, LockTimeout);
                CreateFolders(files);
                if (!File.Exists(files.Key))
                {
                    if (File.Exists(files.Secrets))
                        throw new KeyRingException($"tenant {tenant} has a secrets file but no {TenantKeyFiles.KeyName}: refusing to create a key that cannot decrypt it");
                    KeyFile.TryCreatePrivate(files.Key, AgeKeyFile.Format(AgeX25519Identity.Generate(), Clock.GetUtcNow()));
                }
                WritePublicKey(files, KeyFile.RecipientOf(files.Key));
                return Task.CompletedTask;
            });
    }

    /// <summary>§6.3–§6.4: if the secrets file is absent, generate credentials and encrypt them for the tenant's key; if present, leave it.</summary>
    public IRunbookOperation EnsureSecrets(TenantId tenant)
    {
        var files = Files(tenant);
        return new RunbookOperation(
            [
                $"if absent: generate {string.Join(", ", TenantSecrets.Schema)} = *** (RandomNumberGenerator)",
                $"if absent: sops-encrypt them in memory for the recipient in {files.Relative(files.Key)} and write {files.Relative(files.Secrets)} atomically (0600)",
            ],
            _ =>
            {
                using var _lock = KeyRingLock.Acquire(files, LockTimeout);
                if (File.Exists(files.Secrets))
                    return Task.CompletedTask;
                var identity = RequireKey(files);
                var bytes = Encrypt(TenantSecrets.Generate(tenant), [identity.Recipient.ToString()]);
                RequireOpens(identity, bytes, "the new secrets file");
                KeyFile.TryCreatePrivate(files.Secrets, bytes);
                return Task.CompletedTask;
            });
    }

    /// <summary>Re-encrypts <paramref name="secrets"/> (new data key) for the current key and replaces the file atomically.</summary>
    public IRunbookOperation ReplaceSecrets(TenantId tenant, TenantSecrets secrets)
    {
        ArgumentNullException.ThrowIfNull(secrets);
        var files = Files(tenant);
        return new RunbookOperation(
            [$"sops-encrypt {string.Join(", ", secrets.Values.Select(v => v.Key))} = *** in memory for the recipient in {files.Relative(files.Key)}; replace {files.Relative(files.Secrets)} atomically (0600)"],
            _ =>
            {
                using var _lock = KeyRingLock.Acquire(files, LockTimeout);
                if (File.Exists(files.Journal))
                    throw new KeyRingException($"a key rotation of tenant {tenant} is unfinished: run rotate-keys to complete it first");
                var identity = RequireKey(files);
                var bytes = Encrypt(secrets, [identity.Recipient.ToString()]);
                RequireOpens(identity, bytes, "the re-encrypted secrets file");
                AtomicFile.Write(files.Secrets, bytes, AtomicFile.PrivateFile);
                return Task.CompletedTask;
            });
    }

    /// <summary>
    /// Deprovision: moves <c>key.age</c> to <c>key-yyyymmdd-archived.age</c> (copy under a unique name, then
    /// remove <c>key.age</c>). The key is kept for backup recovery until purged.
    /// </summary>
    public IRunbookOperation ArchiveKey(TenantId tenant)
    {
        var files = Files(tenant);
        return new RunbookOperation(
            [
                $"copy {files.Relative(files.Key)} to {files.Relative(files.ArchivedKey(Today(), 1))} (0600; -2, -3… if taken)",
                $"remove {files.Relative(files.Key)}",
            ],
            _ =>
            {
                using var _lock = KeyRingLock.Acquire(files, LockTimeout);
                if (!File.Exists(files.Key))
                    return Task.CompletedTask; // already archived
                if (File.Exists(files.Journal) || File.Exists(files.NewKey))
                    throw new KeyRingException($"a key rotation of tenant {tenant} is unfinished: run rotate-keys to complete it first");
                var recipient = KeyFile.RecipientOf(files.Key);
                if (!ArchivedKeys(tenant).Any(a => a.PublicKey == recipient))
                    ArchiveCopy(files, files.Key);
                File.Delete(files.Key);
                AtomicFile.SyncFolder(files.Folder);
                return Task.CompletedTask;
            });
    }

    /// <summary>
    /// §7.3: shreds one archived key. Refused while a rotation is unfinished and for a key that still decrypts
    /// the tenant's secrets file (purging it would leave secrets no key decrypts).
    /// </summary>
    public IRunbookOperation PurgeArchivedKey(TenantId tenant, ArchivedKey key)
    {
        ArgumentNullException.ThrowIfNull(key);
        var files = Files(tenant);
        if (Path.GetDirectoryName(Path.GetFullPath(key.Path)) != files.Folder)
            throw new ArgumentException("the archived key is not in this tenant's folder", nameof(key));
        return new RunbookOperation(
            [$"shred -u {files.Relative(key.Path)} (archived {key.ArchivedOn:yyyy-MM-dd}, recipient {key.PublicKey})"],
            _ =>
            {
                using var _lock = KeyRingLock.Acquire(files, LockTimeout);
                if (!File.Exists(key.Path))
                    return Task.CompletedTask; // already purged
                if (File.Exists(files.Journal))
                    throw new KeyRingException($"a key rotation of tenant {tenant} is unfinished: purge refused until it completes");
                if (StillDecryptsSecrets(tenant, key))
                    throw new KeyRingException($"{key.FileName} still decrypts {TenantKeyFiles.SecretsName}: refusing to purge it");
                KeyFile.Shred(key.Path);
                return Task.CompletedTask;
            });
    }

    /// <summary>
    /// §7.3 for a deprovisioned tenant (no <c>key.age</c> any more): shreds its secrets file, whose credentials
    /// were removed from every store at deprovision, so that its archived keys can then be purged after
    /// retention. The secrets go first: at no moment is there a secrets file without a key that opens it.
    /// </summary>
    public IRunbookOperation PurgeDeprovisionedSecrets(TenantId tenant)
    {
        var files = Files(tenant);
        return new RunbookOperation(
            [$"shred -u {files.Relative(files.Secrets)} (tenant deprovisioned: no {TenantKeyFiles.KeyName}; its credentials no longer exist in any store)"],
            _ =>
            {
                using var _lock = KeyRingLock.Acquire(files, LockTimeout);
                if (!File.Exists(files.Secrets))
                    return Task.CompletedTask; // already purged
                if (File.Exists(files.Key) || File.Exists(files.NewKey) || File.Exists(files.Journal))
                    throw new KeyRingException($"tenant {tenant} still has an active key or an unfinished rotation: its secrets are in use and are never purged");
                KeyFile.Shred(files.Secrets);
                return Task.CompletedTask;
            });
    }

    /// <summary>
    /// The secrets files a restore kept for rollback (<c>secrets-&lt;utc time&gt;-replaced.enc.yaml</c>): they hold replaced
    /// credentials and the tenant CA key of their day, so deprovision removes all of them and purge-archived-keys those
    /// kept <paramref name="olderThanDays"/> or more days ago (docs/keys.md). Null: every one.
    /// </summary>
    public IReadOnlyList<string> ReplacedSecretsFiles(TenantId tenant, int? olderThanDays)
    {
        var files = Files(tenant);
        if (!Directory.Exists(files.Folder))
            return [];
        var cutoff = Clock.GetUtcNow().UtcDateTime.AddDays(-(olderThanDays ?? 0));
        return Directory.EnumerateFiles(files.Folder, "secrets-*-replaced.enc.yaml")
            .Where(path => olderThanDays is null || KeptAt(Path.GetFileName(path)) is not { } kept || kept <= cutoff)
            .Order(StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>Shreds the kept secrets files <see cref="ReplacedSecretsFiles"/> names.</summary>
    public IRunbookOperation PurgeReplacedSecrets(TenantId tenant, int? olderThanDays)
    {
        var files = Files(tenant);
        var planned = ReplacedSecretsFiles(tenant, olderThanDays);
        return new RunbookOperation(
            planned.Count == 0
                ? ["no kept secrets-*-replaced.enc.yaml file" + (olderThanDays is { } d ? $" is {d} or more days old" : "")]
                : planned.Select(path => $"shred -u {files.Relative(path)} (replaced secrets kept by a restore: old credentials and CA key)").ToList(),
            _ =>
            {
                using var _lock = KeyRingLock.Acquire(files, LockTimeout);
                foreach (var path in ReplacedSecretsFiles(tenant, olderThanDays))
                    KeyFile.Shred(path);
                return Task.CompletedTask;
            });
    }

    /// <summary>The time in a kept file's name (<c>secrets-20261202T101500Z[-2]-replaced.enc.yaml</c>); null when it has none.</summary>
    private static DateTime? KeptAt(string name) =>
        name.Length >= 24 && DateTime.TryParseExact(name.AsSpan(8, 16), "yyyyMMdd'T'HHmmss'Z'", System.Globalization.CultureInfo.InvariantCulture,
            System.Globalization.DateTimeStyles.AdjustToUniversal | System.Globalization.DateTimeStyles.AssumeUniversal, out var at) ? at : null;

    /// <summary>§7.3: restoring the tenant's secrets from a backup, as separately named steps.</summary>
    public SecretsRestore Restore(TenantId tenant, string backupPath, Registry.TenantRegistry? registry, bool applyToStores) =>
        new(this, tenant ?? throw new ArgumentNullException(nameof(tenant)), backupPath ?? "", registry, applyToStores);

    /// <summary>§7.2: the rotation of one tenant's key, as separately named, resumable steps.</summary>
    public KeyRotation Rotation(TenantId tenant, string reason) => new(this, Files(tenant), reason);

    // ------------------------------------------------------------------ shared internals

    internal DateOnly Today() => DateOnly.FromDateTime(Clock.GetUtcNow().UtcDateTime);

    internal static void CreateFolders(TenantKeyFiles files)
    {
        AtomicFile.CreatePrivateFolder(files.SecretsRoot);
        AtomicFile.CreatePrivateFolder(files.TenantsFolder);
        AtomicFile.CreatePrivateFolder(files.Folder);
    }

    internal static AgeX25519Identity RequireKey(TenantKeyFiles files) =>
        File.Exists(files.Key) ? KeyFile.ReadIdentity(files.Key) : throw new KeyRingException($"tenant {files.Tenant} has no key ({files.Relative(files.Key)}): run EnsureKey first");

    internal static void RequireOpens(AgeX25519Identity identity, byte[] secretsFile, string what)
    {
        if (!KeyFile.Opens(identity, secretsFile))
            throw new KeyRingException($"{what} does not decrypt with {identity.Recipient}: nothing was written");
    }

    internal static void WritePublicKey(TenantKeyFiles files, string recipient)
    {
        var content = recipient + "\n";
        if (File.Exists(files.PublicKey) && File.ReadAllText(files.PublicKey) == content)
            return;
        AtomicFile.WriteText(files.PublicKey, content, AtomicFile.PublicFile);
    }

    internal byte[] Encrypt(TenantSecrets secrets, IReadOnlyList<string> recipients) =>
        Sops.Sops.EncryptDictionary(secrets.Values, SopsFormat.Yaml, SecretsFileRule.EncryptOptions(recipients), new AgeSopsKeyService(), Clock);

    /// <summary>Copies a key file to the first free archive name of today (create-only, race-free); returns the archive path.</summary>
    internal string ArchiveCopy(TenantKeyFiles files, string keyPath)
    {
        var content = File.ReadAllText(keyPath);
        var today = Today();
        for (var sequence = 1; sequence < 10000; sequence++)
        {
            var target = files.ArchivedKey(today, sequence);
            if (KeyFile.TryCreatePrivate(target, content))
                return target;
        }
        throw new KeyRingException("no free archive name left for today");
    }
}
