using RunbookHost.IO;
using RunbookHost.Tenants;

namespace RunbookHost.Evidence;

/// <summary>
/// Writes one signed evidence file per run: `&lt;evidenceRoot&gt;/&lt;tenant&gt;/&lt;UTC start&gt;-&lt;runbook&gt;.json`,
/// a DSSE envelope around an in-toto Statement whose predicate links to the tenant's previous
/// evidence file by SHA-256. Writes for one tenant are serialized by an exclusive lock on
/// `&lt;tenant&gt;/.lock` (across threads and processes), so two runs never link to the same predecessor.
/// </summary>
public sealed class EvidenceWriter
{
    private static readonly TimeSpan LockRetry = TimeSpan.FromMilliseconds(20);

    private readonly EvidenceSigner _signer;
    private readonly string _evidenceRoot;
    private readonly TimeProvider _time;
    private readonly TimeSpan _lockTimeout;

    public EvidenceWriter(EvidenceSigner signer, string evidenceRoot, TimeProvider? timeProvider = null, TimeSpan? lockTimeout = null)
    {
        ArgumentNullException.ThrowIfNull(signer);
        ArgumentException.ThrowIfNullOrEmpty(evidenceRoot);
        _signer = signer;
        _evidenceRoot = evidenceRoot;
        _time = timeProvider ?? TimeProvider.System;
        _lockTimeout = lockTimeout ?? TimeSpan.FromSeconds(30);
    }

    /// <summary>
    /// Signs and writes the record; returns the full path of the new file. Never overwrites: a
    /// taken name gets a `_2`, `_3`… suffix. Throws <see cref="EvidenceChainException"/> when the
    /// run started before the tenant's latest evidence (clock moved backwards), because the file
    /// would break the tenant's chain order.
    /// </summary>
    public string Write(RunRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        // A tenant's chain lives in its own folder; fleet-wide proofs (no single tenant) chain in "_fleet",
        // a name no tenant id can take.
        var scope = record.Tenant == EvidenceFormat.FleetScope ? EvidenceFormat.FleetScope : TenantId.Parse(record.Tenant).Value;
        if (!EvidenceFormat.IsSha256Hex(record.RunbookSha256?.ToLowerInvariant()))
            throw new ArgumentException("RunbookSha256 must be 64 hex characters", nameof(record));

        var folder = Path.Combine(_evidenceRoot, scope);
        if (!Directory.Exists(folder))
        {
            Directory.CreateDirectory(folder);
            AtomicFile.SyncFolder(_evidenceRoot);
        }
        using var tenantLock = AcquireLock(folder);

        var head = FindHead(folder);
        var payload = EvidencePayload.Serialize(record, head?.Sha256, _time);
        var pae = DssePae.Encode(EvidenceFormat.PayloadType, payload);
        var envelope = EvidenceFormat.SerializeEnvelope(EvidenceFormat.PayloadType, payload, _signer.KeyId, _signer.Sign(pae));

        for (var attempt = 0; ; attempt++)
        {
            var path = Path.Combine(folder, ChooseName(folder, record, head));
            if (CreateOnlyFile.TryCreate(path, envelope, AtomicFile.PublicFile))
                return Path.GetFullPath(path);
            if (attempt > 100)
                throw new IOException($"could not create a new evidence file in {folder}");
        }
    }

    /// <summary>A free name that sorts after the head (so the chain order is the verifier's order).</summary>
    private static string ChooseName(string folder, RunRecord record, Head? head)
    {
        var stem = EvidenceFormat.FileName(record.StartedAt, record.Runbook)[..^".json".Length];
        if (head is not null && !SortsAfter(record.StartedAt, stem + ".json", head)
            && (record.StartedAt < head.StartedAt || !head.Name.StartsWith(stem, StringComparison.Ordinal)))
            throw new EvidenceChainException(
                $"run started at {EvidenceFormat.FormatPayloadTimestamp(record.StartedAt)}, not after tenant {record.Tenant}'s " +
                $"latest evidence {head.Name} (started {EvidenceFormat.FormatPayloadTimestamp(head.StartedAt)}); " +
                "did the clock move backwards? Writing it would break the order of the evidence chain");
        for (var n = 1; n <= 100_000; n++)
        {
            var candidate = EvidenceFormat.FileName(record.StartedAt, record.Runbook, n);
            if (SortsAfter(record.StartedAt, candidate, head) && !File.Exists(Path.Combine(folder, candidate)))
                return candidate;
        }
        throw new IOException($"could not find a free evidence file name in {folder}");
    }

    /// <summary>The verifier's order: started_at, then file name (ordinal).</summary>
    private static bool SortsAfter(DateTimeOffset startedAt, string name, Head? head) =>
        head is null || startedAt > head.StartedAt || (startedAt == head.StartedAt && string.CompareOrdinal(name, head.Name) > 0);

    /// <summary>
    /// The tenant's latest file in the verifier's order. File names start with the start time
    /// truncated to milliseconds, so only the files sharing the greatest name timestamp can be
    /// the latest; just those are read to compare their exact started_at.
    /// </summary>
    private static Head? FindHead(string folder)
    {
        var names = Directory.EnumerateFiles(folder, "*.json")
            .Select(Path.GetFileName)
            .OfType<string>()
            .Where(name => EvidenceFormat.IsEvidenceFileName(name) && name.Length > EvidenceFormat.FileTimestampLength
                && EvidencePayload.TryParseFileTimestamp(name.AsSpan(0, EvidenceFormat.FileTimestampLength), out _))
            .ToList();
        if (names.Count == 0)
            return null;
        var newest = names.Select(name => name[..EvidenceFormat.FileTimestampLength]).Max(StringComparer.Ordinal)!;
        Head? head = null;
        foreach (var name in names.Where(n => n.StartsWith(newest, StringComparison.Ordinal)))
        {
            var bytes = File.ReadAllBytes(Path.Combine(folder, name));
            var startedAt = EvidencePayload.TryReadStartedAt(bytes, out var s)
                ? s
                : EvidencePayload.ParseFileTimestamp(newest);
            var candidate = new Head(name, startedAt, EvidenceFormat.Sha256Hex(bytes));
            if (head is null || SortsAfter(candidate.StartedAt, candidate.Name, head))
                head = candidate;
        }
        return head;
    }

    private ExclusiveLockFile AcquireLock(string folder) =>
        // O_NOFOLLOW: a symbolic link planted at .lock is refused, never followed.
        ExclusiveLockFile.Acquire(Path.Combine(folder, ".lock"), "evidence lock file", _lockTimeout, LockRetry, _time)
            ?? throw new IOException($"timed out waiting for the evidence lock in {folder}");

    private sealed record Head(string Name, DateTimeOffset StartedAt, string Sha256);
}

/// <summary>The run could not be appended to the tenant's evidence chain without breaking its order.</summary>
public sealed class EvidenceChainException(string message) : InvalidOperationException(message);
