namespace RunbookHost.Evidence;

/// <summary>
/// What a run will link to, proven before it acts (<see cref="EvidenceWriter.Preflight"/>): the chain's current head
/// (<see cref="PreviousSha256"/>, null for a first file) and the position its file will take. The runner records
/// PreviousSha256 in runbook_runs and passes this back to <see cref="EvidenceWriter.Write(RunRecord, EvidencePreflight?)"/>.
/// </summary>
public sealed record EvidencePreflight(string Chain, string? PreviousSha256, long Sequence, string KeyId);

/// <summary>A file that was written: its full path, the SHA-256 of its bytes, its position and its link.</summary>
public sealed record EvidenceWritten(string Path, string Sha256, long Sequence, string? PreviousSha256);

/// <summary>
/// The run cannot prove it will be able to write its evidence (folder, chain head, a file dated after now, signing key).
/// The message is one line; the run must stop before its first side effect (exit 2).
/// </summary>
public sealed class EvidencePreflightException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>The run could not be appended to its evidence chain without breaking or hiding part of it.</summary>
public sealed class EvidenceChainException(string message) : InvalidOperationException(message);
