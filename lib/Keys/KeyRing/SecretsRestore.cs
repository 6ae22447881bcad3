using System.Globalization;
using RunbookHost.IO;
using RunbookHost.Keys.Sops;
using RunbookHost.Pki;
using RunbookHost.Registry;
using RunbookHost.Runbooks;
using RunbookHost.Tenants;

namespace RunbookHost.Keys.KeyRing;

/// <summary>
/// Restoring a tenant's secrets file from a backup (spec §7.3), as separately named steps: find the key that opens the
/// backup and check its MAC; compare it with today's secrets by key name; re-encrypt it to the active key and install it
/// atomically, keeping the replaced file for rollback. Plaintext is decrypted inside each step and dropped with it; the
/// backup's bytes are read once, after the path is validated. At every instant <c>secrets.enc.yaml</c> is a complete file
/// encrypted to the active key: the old one or the restored one (docs/keys.md, "Restoring from a backup").
/// </summary>
public sealed class SecretsRestore
{
    /// <summary>A tenant secrets file is about 2 KiB; anything far larger is not one.</summary>
    public const long MaxBackupBytes = 256 * 1024;

    private static readonly TimeSpan LockTimeout = TimeSpan.FromMinutes(2);

    /// <summary>
    /// Values a restore never takes from the backup: the tenant CA's private key. The live file's value is kept (or stays
    /// absent), as rotate-keys carries it along: a backup's CA key may be retired or, after an emergency rotation,
    /// compromised, and a backup from before the CA existed would drop the live one (docs/keys.md).
    /// </summary>
    public static readonly IReadOnlyList<string> KeptFromLiveFile = [PkiService.TenantCaKeyName];

    private readonly TenantKeyRing ring;
    private readonly TenantKeyFiles files;
    private readonly TenantRegistry? registry;
    private readonly string backupPath;
    private readonly bool applyToStores;
    private byte[]? backup;
    private BackupKey? key;

    internal SecretsRestore(TenantKeyRing ring, TenantId tenant, string backupPath, TenantRegistry? registry, bool applyToStores)
    {
        this.applyToStores = applyToStores;
        this.ring = ring;
        files = ring.Files(tenant);
        this.registry = registry;
        this.backupPath = backupPath;
    }

    public TenantId Tenant => files.Tenant;
    /// <summary>The key that opens the backup (after <see cref="CheckBackup"/>).</summary>
    internal BackupKey? Key => key;
    /// <summary>The name of the replaced secrets file kept in the tenant's folder (after <see cref="Install"/> replaced one).</summary>
    public string? KeptFile { get; private set; }
    /// <summary>True when the restored credentials went to the stores: the install is then completed by re-running, never undone.</summary>
    public bool CommittedToStores { get; private set; }

    /// <summary>
    /// Step 1 (reads only, in a dry run too): the <c>file</c> parameter is validated (an existing regular file, not a
    /// symlink, at most <see cref="MaxBackupBytes"/>, SOPS YAML), the tenant key its age recipients name is found (no trial
    /// decryption), and the backup is decrypted with it, which checks its MAC. Every schema credential must be present.
    /// </summary>
    public async Task<BackupKey> CheckBackup()
    {
        var bytes = ReadValidated(backupPath);
        SopsMetadata metadata;
        try
        {
            metadata = Sops.Sops.ReadMetadata(bytes, SopsFormat.Yaml);
        }
        catch (SopsException error)
        {
            throw new BackupFileException($"--param file: not a SOPS-encrypted YAML file: {error.Message}");
        }
        if (metadata.Age.Count == 0)
            throw new BackupFileException("--param file: the file has no age recipient (sops.age is empty): it is not a backup of a tenant's secrets");
        var history = registry is null ? [] : await BackupKeys.HistoryAsync(ring, registry, Tenant, CancellationToken.None).ConfigureAwait(false);
        var found = BackupKeys.Find(ring, Tenant, bytes, SopsFormat.Yaml, history);
        var identity = found.RequireIdentity();
        RequireWrittenWhileKeyInUse(metadata, found);
        try
        {
            _ = TenantSecrets.FromValues(Sops.Sops.DecryptToDictionary(bytes, SopsFormat.Yaml, new AgeSopsKeyService(identity)));
        }
        catch (SopsMacMismatchException)
        {
            throw new BackupKeyException($"the backup's MAC does not match its content (tampered with or damaged), checked with {found.Explain()}");
        }
        backup = bytes;
        key = found;
        return found;
    }

    /// <summary>
    /// Step 2 (reads only): today's secrets against what the install would write, by key name; values are compared, never
    /// shown. The tenant CA key is today's on both sides, so it never appears. Refused (<see cref="RestoreRefusedException"/>,
    /// exit 2, in a dry run too) when a store credential differs and apply=true was not given: the installed file would hold
    /// credentials the stores reject.
    /// </summary>
    public Task<SecretsDifference> CompareWithCurrent()
    {
        var current = CurrentSecrets();
        var difference = Difference(current, ToInstall(current));
        RequireApplyWhenStoresDiffer(difference);
        return Task.FromResult(difference);
    }

    /// <summary>
    /// Step 3: the backup's values, encrypted with a new data key to the active key only, replace <c>secrets.enc.yaml</c>
    /// atomically; the file replaced is first kept as <c>secrets-&lt;time&gt;-replaced.enc.yaml</c> (0600, create-only). Undo:
    /// the kept file goes back (unless the restored credentials already went to the stores). Nothing to do when the
    /// secrets already hold the backup's values (a re-run after a crash).
    /// </summary>
    public IRunbookOperation Install() => new RunbookOperation(
        [
            $"decrypt the backup in memory with the key found in step 1; every value kept",
            $"keep {Rel(files.Secrets)} as {Rel(Path.Combine(files.Folder, "secrets-<utc time>-replaced.enc.yaml"))} (0600, atomic create-only) for rollback",
            $"encrypt with a new data key for the recipient of {Rel(files.Key)} only; check it decrypts with it",
            $"replace {Rel(files.Secrets)} atomically (temp + fsync + rename, 0600)",
        ],
        async ct =>
        {
            using var _lock = KeyRingLock.Acquire(files, LockTimeout);
            RequireNoRotation();
            KeyFile.RemoveStaleTemporaries(files.Folder);
            if (registry is not null) // the key history's backfill, persisted by this real step (step 1 only read it)
                await BackupKeys.SyncHistoryAsync(ring, registry, Tenant, ct).ConfigureAwait(false);
            var active = TenantKeyRing.RequireKey(files);
            var current = CurrentSecrets();
            var restored = ToInstall(current);
            if (current is not null)
            {
                if (current.HasSameValuesAs(restored))
                    return; // already installed (a re-run): nothing to keep or roll back
                RequireApplyWhenStoresDiffer(Difference(current, restored)); // the file may have changed since step 2
                KeptFile = Keep(File.ReadAllBytes(files.Secrets));
                CrashTestHook.Reached("restore:kept");
            }
            var bytes = ring.Encrypt(restored, [active.Recipient.ToString()]);
            TenantKeyRing.RequireOpens(active, bytes, "the re-encrypted backup");
            AtomicFile.Write(files.Secrets, bytes, AtomicFile.PrivateFile);
            CrashTestHook.Reached("restore:installed");
        },
        _ =>
        {
            if (KeptFile is null || CommittedToStores)
                return Task.CompletedTask;
            using var _lock = KeyRingLock.Acquire(files, LockTimeout);
            var kept = Path.Combine(files.Folder, KeptFile);
            var bytes = File.ReadAllBytes(kept);
            TenantKeyRing.RequireOpens(TenantKeyRing.RequireKey(files), bytes, KeptFile);
            AtomicFile.Write(files.Secrets, bytes, AtomicFile.PrivateFile);
            File.Delete(kept);
            AtomicFile.SyncFolder(files.Folder);
            return Task.CompletedTask;
        });

    /// <summary>
    /// Step 4 begins: the stores are about to receive the restored credentials, which cannot be taken back; from here a
    /// failure leaves the restored file installed and is completed by running the restore again (as an emergency rotation is).
    /// </summary>
    public IRunbookOperation CommitToStores() => new RunbookOperation(
        ["from here a failure keeps the restored secrets file (the stores may already accept only its credentials); re-run to complete"],
        _ =>
        {
            CommittedToStores = true;
            return Task.CompletedTask;
        });

    public override string ToString() => $"SecretsRestore({Tenant})";

    // ------------------------------------------------------------------ internals

    private TenantSecrets Restored()
    {
        if (backup is null || key is null)
            throw new InvalidOperationException("CheckBackup must run first");
        return TenantSecrets.FromValues(Sops.Sops.DecryptToDictionary(backup, SopsFormat.Yaml, new AgeSopsKeyService(key.RequireIdentity())));
    }

    /// <summary>
    /// How long before a key's recorded valid_from a file may be encrypted to it: the key and the file encrypted to it are
    /// written first, the registry row a moment later in the same run (provision, rotate-keys).
    /// </summary>
    private static readonly TimeSpan RecordingDelay = TimeSpan.FromHours(1);
    /// <summary>
    /// Clock skew allowed after now, for the active key. An archived key's window ends exactly: its last file was written
    /// before the rotation recorded valid_to, by the same host's clock.
    /// </summary>
    private static readonly TimeSpan ClockSkew = TimeSpan.FromMinutes(5);

    /// <summary>
    /// The backup's <c>sops.lastmodified</c> must fall inside the validity window of the key that opens it. The MAC proves
    /// integrity only: anyone with a tenant's age public key can write a file that opens; this refuses the ones that claim a
    /// time that key was not in use (e.g. written to an archived key today). A date inside the window proves nothing either:
    /// a restore trusts the operator's file (docs/keys.md, docs/evidence.md).
    /// </summary>
    private void RequireWrittenWhileKeyInUse(SopsMetadata metadata, BackupKey found)
    {
        if (found.Version is not { } version)
        {
            if (registry is null)
                return; // no key history to hold the date against (docs/keys.md)
            throw new BackupKeyException($"{found.Explain()}: the registry has no validity window for that key, so the backup's date cannot be checked; refusing it");
        }
        if (!DateTimeOffset.TryParse(metadata.LastModified, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var written))
            throw new BackupFileException($"--param file: sops.lastmodified '{metadata.LastModified}' is not a date");
        var from = (version.ValidFrom ?? version.CreatedAt) - RecordingDelay;
        var to = version.ValidTo ?? ring.Clock.GetUtcNow() + ClockSkew;
        if (written < from || written > to)
            throw new BackupKeyException(
                $"the backup says it was written at {TenantKeyRecord.Stamp(written)} (sops.lastmodified), outside the validity window of key version " +
                $"{version.KeyVersion} of tenant {Tenant} ({version.Window}) that opens it: it was not written while that key was in use; refusing it " +
                "(its MAC proves integrity, not who wrote it)");
    }

    private TenantSecrets? CurrentSecrets() => File.Exists(files.Secrets) ? ring.LoadSecrets(Tenant) : null;

    /// <summary>The backup's values with <see cref="KeptFromLiveFile"/> taken from <paramref name="current"/> (or left out when it has none).</summary>
    private TenantSecrets ToInstall(TenantSecrets? current)
    {
        var restored = Restored();
        foreach (var name in KeptFromLiveFile)
            restored = current?.ValueOf(name) is { Length: > 0 } live ? restored.With(name, live) : restored.Without(name);
        return restored;
    }

    private static SecretsDifference Difference(TenantSecrets? current, TenantSecrets restored) => current is null
        ? new SecretsDifference(restored.Values.Select(v => v.Key).ToList(), [], [])
        : SecretsDifference.Between(current, restored);

    private void RequireApplyWhenStoresDiffer(SecretsDifference difference)
    {
        if (difference.StoreCredentialsDiffer && !applyToStores)
            throw new RestoreRefusedException(
                $"the backup's store credentials differ from today's ({string.Join(", ", difference.StoreCredentialNames)}): installed without " +
                "apply=true the tenant's secrets would hold credentials the stores reject. Nothing was changed; re-run with --param apply=true " +
                "to give the stores the backup's credentials");
    }

    private void RequireNoRotation()
    {
        if (File.Exists(files.Journal) || File.Exists(files.NewKey))
            throw new KeyRingException($"a key rotation of tenant {Tenant} is unfinished: run rotate-keys to complete it before restoring");
    }

    private string Keep(byte[] current)
    {
        var stamp = ring.Clock.GetUtcNow().UtcDateTime.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);
        for (var sequence = 1; sequence < 1000; sequence++)
        {
            var name = sequence == 1 ? $"secrets-{stamp}-replaced.enc.yaml" : $"secrets-{stamp}-{sequence}-replaced.enc.yaml";
            if (KeyFile.TryCreatePrivate(Path.Combine(files.Folder, name), current))
                return name;
        }
        throw new KeyRingException("no free name left to keep the replaced secrets file");
    }

    /// <summary>
    /// The <c>file</c> parameter as a path: an existing regular file of bounded size, read once. It is opened once
    /// (O_NOFOLLOW: a symbolic link is refused by the kernel; O_NONBLOCK: a FIFO cannot block the open) and every check is
    /// made on that open handle (fstat), so nothing can swap the file between the checks and the read.
    /// </summary>
    internal static byte[] ReadValidated(string path)
    {
        if (string.IsNullOrWhiteSpace(path))
            throw new BackupFileException("--param file is required: the path of the backup to restore");
        string fullPath;
        try
        {
            fullPath = Path.GetFullPath(path);
        }
        catch (Exception error) when (error is ArgumentException or NotSupportedException or PathTooLongException)
        {
            throw new BackupFileException($"--param file: not a usable path ({error.Message})");
        }
        Microsoft.Win32.SafeHandles.SafeFileHandle? handle;
        try
        {
            handle = NativeFile.OpenNoFollow(fullPath, "--param file");
        }
        catch (UntrustedFileException)
        {
            throw new BackupFileException("--param file is a symbolic link: pass the backup file itself");
        }
        catch (IOException)
        {
            throw new BackupFileException("--param file is not readable by the host's user");
        }
        using (handle)
        {
            if (handle is null)
                throw new BackupFileException("--param file: no such file");
            var status = FileStatus.Of(handle);
            if (status.Kind == FileKind.Directory)
                throw new BackupFileException("--param file is a folder, not a file");
            if (status.Kind != FileKind.Regular || status.Size == 0)
                throw new BackupFileException("--param file is empty or not a regular file");
            if (status.Size > MaxBackupBytes)
                throw new BackupFileException($"--param file is {status.Size} bytes; a tenant secrets file is at most {MaxBackupBytes}");
            try
            {
                using var stream = new FileStream(handle, FileAccess.Read);
                return NativeFile.ReadAtMost(stream, (int)MaxBackupBytes, "--param file");
            }
            catch (UntrustedFileException)
            {
                throw new BackupFileException($"--param file grew while read; a tenant secrets file is at most {MaxBackupBytes} bytes");
            }
        }
    }

    private string Rel(string path) => files.Relative(path);
}

/// <summary>The <c>file</c> parameter of a restore is not a usable backup file (refused before anything is touched: exit 2).</summary>
public sealed class BackupFileException(string message) : Exception(message);

/// <summary>A restore that would leave the tenant broken was refused before anything changed (exit 2): e.g. store credentials differ without apply=true.</summary>
public sealed class RestoreRefusedException(string message) : Exception(message);

/// <summary>Today's secrets against a backup's, by key name only (values are compared, never kept or shown).</summary>
public sealed record SecretsDifference(IReadOnlyList<string> Added, IReadOnlyList<string> Removed, IReadOnlyList<string> Changed) : IStepDetail
{
    public bool None => Added.Count == 0 && Removed.Count == 0 && Changed.Count == 0;

    /// <summary>Names only: "added: …; removed: …; changed: …", or that the backup holds today's values.</summary>
    public string Detail => None
        ? "no difference: the backup holds today's values"
        : $"added: {List(Added)}; removed: {List(Removed)}; changed: {List(Changed)}"
          + (StoreCredentialsDiffer ? " (store credentials differ: the stores accept the backup's only with apply=true)" : "");

    /// <summary>True when a credential a store checks (not the tenant's own API key) differs: the stores must be given it (apply=true).</summary>
    public bool StoreCredentialsDiffer => StoreCredentialNames.Count > 0;

    /// <summary>The names of the store credentials that differ (added or changed).</summary>
    public IReadOnlyList<string> StoreCredentialNames => Added.Concat(Changed).Where(StoreCredentials.Contains).ToList();

    private static readonly IReadOnlyList<string> StoreCredentials =
        [TenantSecrets.MinioAccessKeyName, TenantSecrets.MinioSecretKeyName, TenantSecrets.PostgresPasswordName, TenantSecrets.QdrantApiKeyName, TenantSecrets.RedisPasswordName];

    internal static SecretsDifference Between(TenantSecrets current, TenantSecrets restored)
    {
        var now = current.Values.ToDictionary(v => v.Key, v => v.Value, StringComparer.Ordinal);
        var then = restored.Values.ToDictionary(v => v.Key, v => v.Value, StringComparer.Ordinal);
        return new SecretsDifference(
            then.Keys.Where(k => !now.ContainsKey(k)).ToList(),
            now.Keys.Where(k => !then.ContainsKey(k)).ToList(),
            then.Keys.Where(k => now.TryGetValue(k, out var value) && !SameValue(value, then[k])).ToList());
    }

    private static bool SameValue(string a, string b) => System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(
        System.Text.Encoding.UTF8.GetBytes(a), System.Text.Encoding.UTF8.GetBytes(b));

    private static string List(IReadOnlyList<string> names) => names.Count == 0 ? "none" : string.Join(", ", names);

    public override string ToString() => Detail;
}
