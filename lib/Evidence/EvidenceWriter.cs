using RunbookHost.IO;
using RunbookHost.Tenants;

namespace RunbookHost.Evidence;

/// <summary>
/// Writes one signed evidence file per run: `&lt;evidenceRoot&gt;/&lt;chain&gt;/&lt;UTC start&gt;-&lt;runbook&gt;.json`, a DSSE envelope
/// around an in-toto Statement that links to the chain's previous file by SHA-256 and states its position
/// (`sequence`), then replaces the chain's signed head (`_heads/&lt;chain&gt;.json`). A chain is a tenant's folder, or
/// `_fleet` for fleet-wide runs. Writes to one chain are serialized by an exclusive lock on `&lt;chain&gt;/.lock`
/// (across threads and processes), so two runs never link to the same predecessor.
/// </summary>
public sealed partial class EvidenceWriter
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
    /// Proves, before a run acts, that its evidence can be written to <paramref name="chain"/> (a tenant id or `_fleet`):
    /// the folder exists or can be created and is writable, the chain's newest file and signed head agree and were signed
    /// by this host, and no file is dated after <paramref name="now"/>. Returns what the run will link to. Throws
    /// <see cref="EvidencePreflightException"/> (one line) otherwise; it changes nothing but creating empty folders.
    /// </summary>
    public EvidencePreflight Preflight(string chain, DateTimeOffset now)
    {
        try
        {
            var name = ChainName(chain);
            var folder = Path.Combine(_evidenceRoot, name);
            EnsureWritableFolder(folder);
            EnsureWritableFolder(Path.Combine(_evidenceRoot, EvidenceFormat.HeadsFolder));
            using var chainLock = AcquireLock(folder);
            var tip = ChainTip.Read(_evidenceRoot, name, _signer, now);
            return new EvidencePreflight(name, tip.Sha256, tip.Sequence + 1, _signer.KeyId);
        }
        catch (Exception error) when (error is EvidenceChainException or IOException or UnauthorizedAccessException or ArgumentException)
        {
            throw new EvidencePreflightException($"evidence cannot be written, so nothing was done: {OneLine(error.Message)}", error);
        }
    }

    /// <summary>Signs and writes the record; returns the full path of the new file (see <see cref="Write(RunRecord, EvidencePreflight?)"/>).</summary>
    public string Write(RunRecord record) => Write(record, null).Path;

    /// <summary>
    /// Signs and writes the record, then the chain's head. Never overwrites: a taken name gets a `_2`, `_3`… suffix.
    /// With <paramref name="preflight"/>, the file links to the head the preflight returned; if other files were appended
    /// since, it links to the newest of them, provided the preflight's head is still there. Throws
    /// <see cref="EvidenceChainException"/> when the chain no longer matches its head, the preflight's head is gone,
    /// or the run started before the chain's newest file (clock moved backwards).
    /// </summary>
    public EvidenceWritten Write(RunRecord record, EvidencePreflight? preflight)
    {
        ArgumentNullException.ThrowIfNull(record);
        var chain = ChainName(record.Tenant);
        if (preflight is not null && preflight.Chain != chain)
            throw new ArgumentException($"the preflight was for chain {preflight.Chain}, the record is for {chain}", nameof(preflight));
        foreach (var subject in EvidencePayload.Subjects(record))
        {
            if (!EvidenceFormat.IsSha256Hex(subject.Sha256.ToLowerInvariant()))
                throw new ArgumentException($"subject {subject.Name}: SHA-256 must be 64 hex characters", nameof(record));
        }

        var folder = Path.Combine(_evidenceRoot, chain);
        if (!Directory.Exists(folder))
        {
            Directory.CreateDirectory(folder);
            AtomicFile.SyncFolder(_evidenceRoot);
        }
        RequireRealFolder(folder);
        using var chainLock = AcquireLock(folder);

        var tip = ChainTip.Read(_evidenceRoot, chain, _signer, now: null);
        if (preflight is not null)
            RequireDescends(folder, tip, preflight);
        var sequence = tip.Sequence + 1;
        var payload = EvidencePayload.Serialize(record, tip.Sha256, sequence, _time);
        var envelope = _signer.SignEnvelope(EvidenceFormat.PayloadType, payload);

        for (var attempt = 0; ; attempt++)
        {
            var name = ChooseName(folder, record, tip);
            if (CreateOnlyFile.TryCreate(Path.Combine(folder, name), envelope, AtomicFile.PublicFile))
            {
                var sha = EvidenceFormat.Sha256Hex(envelope);
                WriteHead(new ChainHead(chain, sequence, name, sha, _time.GetUtcNow()));
                return new EvidenceWritten(Path.GetFullPath(Path.Combine(folder, name)), sha, sequence, tip.Sha256);
            }
            if (attempt > 100)
                throw new IOException($"could not create a new evidence file in {folder}");
        }
    }

    /// <summary>A tenant id or `_fleet`: never a path.</summary>
    private static string ChainName(string chain) =>
        chain == EvidenceFormat.FleetScope ? EvidenceFormat.FleetScope : TenantId.Parse(chain).Value;

    private static void RequireDescends(string folder, ChainTip tip, EvidencePreflight preflight)
    {
        if (tip.Sequence + 1 == preflight.Sequence && tip.Sha256 == preflight.PreviousSha256)
            return;
        var stillThere = preflight.PreviousSha256 is null
            || Directory.EnumerateFiles(folder, "*.json").Any(f => EvidenceFormat.Sha256Hex(File.ReadAllBytes(f)) == preflight.PreviousSha256);
        if (tip.Sequence + 1 < preflight.Sequence || !stillThere)
            throw new EvidenceChainException(
                $"evidence chain {preflight.Chain} changed since this run's preflight: it was to follow {preflight.PreviousSha256 ?? "nothing"} " +
                $"at position {preflight.Sequence}, the chain now ends at position {tip.Sequence}; files were removed");
    }

    private static void EnsureWritableFolder(string folder)
    {
        Directory.CreateDirectory(folder);
        RequireRealFolder(folder);
        var probe = Path.Combine(folder, $".preflight.{Guid.NewGuid():N}.tmp");
        using (new FileStream(probe, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.DeleteOnClose))
        {
        }
    }

    /// <summary>
    /// A chain or heads folder replaced by a symbolic link would send the evidence (and the host's writes) wherever its
    /// planter chose; the writer never creates one, so it refuses to follow one.
    /// </summary>
    internal static void RequireRealFolder(string folder)
    {
        if (new DirectoryInfo(folder).LinkTarget is not null)
            throw new IOException($"{folder} is a symbolic link; evidence folders must be real folders (remove the link)");
    }

    /// <summary>A free name that sorts after the chain's newest file (so the chain order is the verifier's order).</summary>
    private static string ChooseName(string folder, RunRecord record, ChainTip tip)
    {
        var stem = EvidenceFormat.FileName(record.StartedAt, record.Runbook)[..^".json".Length];
        if (tip is { File: { } tipName, StartedAt: { } tipStart } && !SortsAfter(record.StartedAt, stem + ".json", tipStart, tipName)
            && (record.StartedAt < tipStart || !tipName.StartsWith(stem, StringComparison.Ordinal)))
            throw new EvidenceChainException(
                $"run started at {EvidenceFormat.FormatPayloadTimestamp(record.StartedAt)}, not after chain {record.Tenant}'s " +
                $"latest evidence {tipName} (started {EvidenceFormat.FormatPayloadTimestamp(tipStart)}); " +
                "did the clock move backwards? Writing it would break the order of the evidence chain");
        for (var n = 1; n <= 100_000; n++)
        {
            var candidate = EvidenceFormat.FileName(record.StartedAt, record.Runbook, n);
            if ((tip.File is null || SortsAfter(record.StartedAt, candidate, tip.StartedAt!.Value, tip.File))
                && !File.Exists(Path.Combine(folder, candidate)))
                return candidate;
        }
        throw new IOException($"could not find a free evidence file name in {folder}");
    }

    /// <summary>The verifier's order: started_at, then file name (ordinal).</summary>
    internal static bool SortsAfter(DateTimeOffset startedAt, string name, DateTimeOffset otherStartedAt, string otherName) =>
        startedAt > otherStartedAt || (startedAt == otherStartedAt && string.CompareOrdinal(name, otherName) > 0);

    private ExclusiveLockFile AcquireLock(string folder) =>
        // O_NOFOLLOW: a symbolic link planted at .lock is refused, never followed.
        ExclusiveLockFile.Acquire(Path.Combine(folder, EvidenceFormat.LockFileName), "evidence lock file", _lockTimeout, LockRetry, _time)
            ?? throw new IOException($"timed out waiting for the evidence lock in {folder}");

    private static string OneLine(string text) => text.ReplaceLineEndings(" ").Trim();
}
