using RunbookHost.IO;
using RunbookHost.Keys.Age;
using RunbookHost.Keys.Sops;
using RunbookHost.Registry;
using RunbookHost.Runbooks;
using RunbookHost.Tenants;

namespace RunbookHost.Keys.KeyRing;

/// <summary>
/// One rotation of a tenant's age key (spec §7.2, §7.4) as separately named steps. Every step inspects
/// the files first and completes whatever a killed earlier attempt left half done, so re-running the
/// whole sequence always finishes the rotation exactly once. File operations are ordered so that at
/// every instant a key file on disk decrypts <c>secrets.enc.yaml</c> (docs/keys.md, "Crash safety").
/// No step registers a rollback: after a failure the safe direction is forward, by re-running.
/// </summary>
public sealed class KeyRotation
{
    public const string Scheduled = "scheduled";
    public const string Emergency = "emergency";
    public const string Personnel = "personnel";
    public static readonly IReadOnlyList<string> Reasons = [Scheduled, Emergency, Personnel];

    private static readonly TimeSpan LockTimeout = TimeSpan.FromMinutes(2);
    private readonly TenantKeyRing ring;
    private readonly TenantKeyFiles files;
    private readonly List<string> notes = [];
    private string? expectedNewKey;

    internal KeyRotation(TenantKeyRing ring, TenantKeyFiles files, string reason)
    {
        if (!Reasons.Contains(reason, StringComparer.Ordinal))
            throw new ArgumentException($"rotation reason must be one of {string.Join(", ", Reasons)}", nameof(reason));
        this.ring = ring;
        this.files = files;
        RequestedReason = reason;
    }

    public TenantId Tenant => files.Tenant;
    public string RequestedReason { get; }
    /// <summary>The reason of the rotation being carried out: a resumed rotation keeps the one it started with.</summary>
    public string Reason => Journal?.Reason ?? RequestedReason;
    public bool IsEmergency => Reason == Emergency;
    /// <summary>True when <see cref="Begin"/> found an unfinished rotation and is completing it.</summary>
    public bool Resumed { get; private set; }
    public RotationJournal? Journal { get; private set; }
    public string? OldPublicKey => Journal?.OldPublicKey;
    public string? NewPublicKey { get; private set; }
    public string? ArchivedKeyFile { get; private set; }
    /// <summary>What the steps found and did, one line each (no key material, no secret values).</summary>
    public IReadOnlyList<string> Notes => notes;

    /// <summary>Step 0: record the rotation in progress (or find the unfinished one to complete).</summary>
    public IRunbookOperation Begin() => Operation(
        [
            $"remove stale temporary files (.*.tmp) in {Rel(files.Folder)}",
            $"if {Rel(files.Journal)} exists: resume that rotation; else write it atomically (reason, old public key, start time)",
        ],
        () =>
        {
            foreach (var name in KeyFile.RemoveStaleTemporaries(files.Folder))
                notes.Add($"removed stale temporary file {name}");
            var journal = RotationJournal.Read(files.Journal);
            if (journal is not null)
            {
                Journal = journal;
                Resumed = true;
                notes.Add($"resuming the unfinished {journal.Reason} rotation started at {journal.StartedAt:O}");
                if (journal.Reason != RequestedReason)
                    notes.Add($"requested reason '{RequestedReason}' differs: the resumed rotation completes as '{journal.Reason}'; rotate again afterwards if needed");
            }
            else
            {
                var current = TenantKeyRing.RequireKey(files);
                if (!File.Exists(files.Secrets))
                    throw new KeyRingException($"tenant {Tenant} has no secrets file: nothing to rotate");
                if (File.Exists(files.NewKey))
                    throw new KeyRingException($"{TenantKeyFiles.NewKeyName} exists without a rotation journal (another tool is rotating?): refusing; inspect the folder");
                Journal = new RotationJournal(RequestedReason, current.Recipient.ToString(), ring.Clock.GetUtcNow());
                Journal.Write(files.Journal);
            }
            CrashTestHook.Reached("rotate:begin");
        });

    /// <summary>Step 1: create <c>key-new.age</c> (0600, create-only); a key-new.age left by a killed attempt is adopted.</summary>
    public IRunbookOperation GenerateNewKey() => Operation(
        [$"if absent: create {Rel(files.NewKey)} (0600, new age X25519 identity, age-keygen format, atomic create-only)"],
        () =>
        {
            var journal = RequireJournal();
            var active = TenantKeyRing.RequireKey(files).Recipient.ToString();
            if (active != journal.OldPublicKey)
            {
                NewPublicKey = active;
                notes.Add("the new key was already promoted by a previous attempt");
            }
            else if (File.Exists(files.NewKey))
            {
                NewPublicKey = KeyFile.RecipientOf(files.NewKey);
                notes.Add($"adopted {TenantKeyFiles.NewKeyName} left by a previous attempt");
            }
            else
            {
                var identity = AgeX25519Identity.Generate();
                if (!KeyFile.TryCreatePrivate(files.NewKey, AgeKeyFile.Format(identity, ring.Clock.GetUtcNow())))
                    throw new KeyRingException($"{TenantKeyFiles.NewKeyName} appeared while this rotation was creating it: concurrent rotation, refusing");
                NewPublicKey = identity.Recipient.ToString();
            }
            expectedNewKey = NewPublicKey;
            CrashTestHook.Reached("rotate:new-key");
        });

    /// <summary>Step 2 (safety check): the current key decrypts the secrets (or a previous attempt already re-encrypted them for the new key).</summary>
    public IRunbookOperation CheckCurrentKeyDecrypts() => Operation(
        [$"decrypt {Rel(files.Secrets)} in memory with {Rel(files.Key)} (values discarded)"],
        () =>
        {
            RequireJournal();
            var secrets = File.ReadAllBytes(files.Secrets);
            if (OldIdentity() is { } old && KeyFile.Opens(old, secrets))
                notes.Add("the current key decrypts the secrets");
            else if (KeyFile.Opens(NewIdentity(), secrets))
                notes.Add("the secrets were already re-encrypted for the new key by a previous attempt");
            else
                throw new KeyRingException("neither the current nor the new key decrypts the secrets: rotation stopped before changing them");
            CrashTestHook.Reached("rotate:check");
        });

    /// <summary>
    /// Step 3: new data key, recipient swap old → new (<c>sops --rotate --add-age new --rm-age old</c>), written
    /// atomically. For an emergency every generated store credential is regenerated in the same write.
    /// </summary>
    public IRunbookOperation RotateDataKey() => Operation(
        [
            $"decrypt {Rel(files.Secrets)} in memory with {Rel(files.Key)}",
            IsEmergency
                ? $"regenerate {string.Join(", ", TenantSecrets.Generated)} = *** (§7.4)"
                : "keep every value",
            $"encrypt with a new data key for the recipient of {Rel(files.NewKey)} (old recipient removed); check it decrypts with the new key only",
            $"replace {Rel(files.Secrets)} atomically (temp + fsync + rename, 0600)",
        ],
        () =>
        {
            var journal = RequireJournal();
            var secrets = File.ReadAllBytes(files.Secrets);
            var newIdentity = NewIdentity();
            if (KeyFile.Opens(newIdentity, secrets))
            {
                notes.Add("the secrets were already re-encrypted for the new key by a previous attempt");
                CrashTestHook.Reached("rotate:swap");
                return;
            }
            var old = OldIdentity() is { } o && KeyFile.Opens(o, secrets) ? o
                : throw new KeyRingException("the current key does not decrypt the secrets: refusing to rotate");
            var newRecipient = newIdentity.Recipient.ToString();
            byte[] rotated;
            if (IsEmergency)
            {
                var values = TenantSecrets.FromValues(Sops.Sops.DecryptToDictionary(secrets, SopsFormat.Yaml, new AgeSopsKeyService(old)));
                var recipients = Sops.Sops.ReadMetadata(secrets, SopsFormat.Yaml).Age.Select(a => a.Recipient)
                    .Where(r => r != journal.OldPublicKey).Append(newRecipient).Distinct(StringComparer.Ordinal).ToList();
                rotated = ring.Encrypt(values.RegenerateCredentials(), recipients);
                notes.Add("regenerated every store credential (emergency)");
            }
            else
            {
                rotated = Sops.Sops.Rotate(secrets, SopsFormat.Yaml, new AgeSopsKeyService(old), [newRecipient], [journal.OldPublicKey], ring.Clock);
            }
            TenantKeyRing.RequireOpens(newIdentity, rotated, "the rotated secrets file");
            if (KeyFile.Opens(old, rotated))
                throw new KeyRingException("the rotated secrets file still decrypts with the old key: nothing was written");
            AtomicFile.Write(files.Secrets, rotated, AtomicFile.PrivateFile);
            CrashTestHook.Reached("rotate:swap");
        });

    /// <summary>Step 4: the new key decrypts the secrets, and the old key no longer does.</summary>
    public IRunbookOperation VerifyNewKeyDecrypts() => Operation(
        [$"decrypt {Rel(files.Secrets)} in memory with {Rel(files.NewKey)} (values discarded); check the old key no longer opens it"],
        () =>
        {
            RequireJournal();
            var secrets = File.ReadAllBytes(files.Secrets);
            if (!KeyFile.Opens(NewIdentity(), secrets))
                throw new KeyRingException("the new key does not decrypt the secrets");
            if (OldIdentity() is { } old && KeyFile.Opens(old, secrets))
                throw new KeyRingException("the old key still decrypts the secrets");
            notes.Add("the new key decrypts the secrets; the old key does not");
            CrashTestHook.Reached("rotate:verify");
        });

    /// <summary>Step 5: copy <c>key.age</c> to <c>key-yyyymmdd[-N]-archived.age</c> (0600, create-only) unless the old key is already archived.</summary>
    public IRunbookOperation ArchiveOldKey() => Operation(
        [$"if the old key is not archived yet: copy {Rel(files.Key)} to {Rel(files.ArchivedKey(ring.Today(), 1))} (0600; -2, -3… if taken; atomic create-only)"],
        () =>
        {
            var journal = RequireJournal();
            var existing = ring.ArchivedKeys(Tenant).FirstOrDefault(a => a.PublicKey == journal.OldPublicKey);
            if (existing is not null)
            {
                ArchivedKeyFile = existing.FileName;
                notes.Add($"the old key was already archived as {existing.FileName}");
            }
            else
            {
                if (KeyFile.RecipientOf(files.Key) != journal.OldPublicKey)
                    throw new KeyRingException("the old key is neither active nor archived");
                ArchivedKeyFile = Path.GetFileName(ring.ArchiveCopy(files, files.Key));
            }
            CrashTestHook.Reached("rotate:archive");
        });

    /// <summary>Step 6: rename <c>key-new.age</c> over <c>key.age</c> (atomic), then write <c>key.pub</c>.</summary>
    public IRunbookOperation PromoteNewKey() => Operation(
        [
            $"check the new key decrypts {Rel(files.Secrets)} and the old key is archived",
            $"rename {Rel(files.NewKey)} to {Rel(files.Key)} (atomic replace)",
            $"write {Rel(files.PublicKey)} (the new recipient)",
        ],
        () =>
        {
            var journal = RequireJournal();
            var newIdentity = NewIdentity();
            if (!KeyFile.Opens(newIdentity, File.ReadAllBytes(files.Secrets)))
                throw new KeyRingException("refusing to promote a key that does not decrypt the secrets");
            if (!ring.ArchivedKeys(Tenant).Any(a => a.PublicKey == journal.OldPublicKey))
                throw new KeyRingException("refusing to replace key.age before the old key is archived");
            if (File.Exists(files.NewKey))
            {
                AtomicFile.Move(files.NewKey, files.Key, overwrite: true);
                CrashTestHook.Reached("rotate:promote-rename");
            }
            NewPublicKey = newIdentity.Recipient.ToString();
            TenantKeyRing.WritePublicKey(files, NewPublicKey);
            CrashTestHook.Reached("rotate:promote-pub");
        });

    /// <summary>Step 7 (§8): record the new public key, version and due date, archive the old history row, audit KEY_ROTATED. Idempotent.</summary>
    internal IRunbookOperation RecordInRegistry(TenantRegistry registry, int rotationDays)
    {
        ArgumentNullException.ThrowIfNull(registry);
        ArgumentOutOfRangeException.ThrowIfNegative(rotationDays);
        return new RunbookOperation(
            [
                $"UPDATE tenants SET age_public_key = <recipient of {Rel(files.Key)}>, key_version = key_version + 1, key_rotated_at = now(), key_rotation_due_at = now() + {rotationDays} days WHERE tenant_id = '{Tenant}'",
                $"tenant_key_history: old version ARCHIVED (valid_to = now, key_file = its archive name), new version ACTIVE (public key, key.age, valid_from = now, rotation_reason '{Reason}')",
                $"INSERT INTO audit_events (event_type, tenant_id, details) VALUES ('KEY_ROTATED', '{Tenant}', ...)",
            ],
            async ct =>
            {
                var now = ring.Clock.GetUtcNow();
                var result = await registry.RecordKeyRotationAsync(Tenant, ring.PublicKey(Tenant), Reason, now, now.AddDays(rotationDays), ct).ConfigureAwait(false);
                // The old version's archive file name, so a backup it encrypted can be mapped to that file (§7.3).
                await BackupKeys.SyncHistoryAsync(ring, registry, Tenant, ct).ConfigureAwait(false);
                notes.Add($"registry: key version {result.KeyVersion}" + (result.ArchivedVersion is { } v ? $", version {v} archived" : ""));
                CrashTestHook.Reached("rotate:registry");
            });
    }

    /// <summary>Last step: check the end state (key.age active and decrypting, key-new.age gone, key.pub current) and remove the journal.</summary>
    public IRunbookOperation Complete() => Operation(
        [$"check {Rel(files.Key)} decrypts {Rel(files.Secrets)}, {Rel(files.NewKey)} is gone and {Rel(files.PublicKey)} is current", $"remove {Rel(files.Journal)}"],
        () =>
        {
            if (!File.Exists(files.Journal) && expectedNewKey is not null && File.Exists(files.Key)
                && KeyFile.RecipientOf(files.Key) == expectedNewKey && !File.Exists(files.NewKey))
            {
                notes.Add("the rotation was already completed by another run");
                return;
            }
            var journal = RequireJournal();
            var active = TenantKeyRing.RequireKey(files);
            if (active.Recipient.ToString() == journal.OldPublicKey || File.Exists(files.NewKey))
                throw new KeyRingException("the new key is not promoted yet: run the earlier steps");
            if (!KeyFile.Opens(active, File.ReadAllBytes(files.Secrets)))
                throw new KeyRingException("the active key does not decrypt the secrets");
            TenantKeyRing.WritePublicKey(files, active.Recipient.ToString());
            NewPublicKey = active.Recipient.ToString();
            File.Delete(files.Journal);
            AtomicFile.SyncFolder(files.Folder);
            CrashTestHook.Reached("rotate:complete");
        });

    public override string ToString() => $"KeyRotation({Tenant}, {Reason})";

    // ------------------------------------------------------------------ internals

    private RunbookOperation Operation(IReadOnlyList<string> description, Action body) => new(description, _ =>
    {
        using var _lock = KeyRingLock.Acquire(files, LockTimeout);
        body();
        return Task.CompletedTask;
    });

    private RotationJournal RequireJournal()
    {
        var journal = RotationJournal.Read(files.Journal)
            ?? throw new KeyRingException($"no rotation in progress ({TenantKeyFiles.JournalName} missing): run Begin first");
        if (Journal is not null && Journal.OldPublicKey != journal.OldPublicKey)
            throw new KeyRingException($"{TenantKeyFiles.JournalName} changed under this rotation (concurrent rotation?): refusing");
        Journal = journal;
        return journal;
    }

    /// <summary>The new key: key-new.age, or key.age once promoted. A different key than this rotation adopted is refused.</summary>
    private AgeX25519Identity NewIdentity()
    {
        var journal = RequireJournal();
        AgeX25519Identity identity;
        if (File.Exists(files.NewKey))
            identity = KeyFile.ReadIdentity(files.NewKey);
        else if (File.Exists(files.Key) && KeyFile.RecipientOf(files.Key) != journal.OldPublicKey)
            identity = KeyFile.ReadIdentity(files.Key);
        else
            throw new KeyRingException($"there is no new key ({TenantKeyFiles.NewKeyName}): run step 1 first");
        if (expectedNewKey is not null && identity.Recipient.ToString() != expectedNewKey)
            throw new KeyRingException($"the new key changed under this rotation (another rotation?): refusing");
        return identity;
    }

    /// <summary>The old key: key.age while it still is the old one, else its archived copy; null if neither exists.</summary>
    private AgeX25519Identity? OldIdentity()
    {
        var journal = RequireJournal();
        if (File.Exists(files.Key) && KeyFile.RecipientOf(files.Key) == journal.OldPublicKey)
            return KeyFile.ReadIdentity(files.Key);
        var archived = ring.ArchivedKeys(Tenant).FirstOrDefault(a => a.PublicKey == journal.OldPublicKey);
        return archived is null ? null : KeyFile.ReadIdentity(archived.Path);
    }

    private string Rel(string path) => files.Relative(path);
}
