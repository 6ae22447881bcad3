namespace RunbookHost.Evidence;

/// <summary>
/// The verdict on one evidence file. <see cref="Reason"/> is "ok", or each problem as "kind: detail" joined by "; "
/// (kinds: malformed, untrusted-key, bad-signature, retired-key, not-canonical, bad-name, wrong-folder, broken-chain).
/// <see cref="KeyId"/> is the trusted key that verified its signature (null when none did).
/// </summary>
public sealed record EvidenceFileResult(string Path, bool Ok, string Reason, string? KeyId = null);

/// <summary>A problem that is not one file's content: something missing, extra, hidden or cut. <see cref="Kind"/> names it.</summary>
public sealed record EvidenceProblem(string Kind, string Subject, string Reason);

/// <summary>The names of <see cref="EvidenceProblem.Kind"/> (docs/evidence.md lists them for auditors).</summary>
public static class EvidenceProblemKinds
{
    /// <summary>The registry records a finished run whose file is absent, or whose bytes have another SHA-256.</summary>
    public const string MissingFile = "missing-file";
    /// <summary>A file in a chain folder that the registry does not record.</summary>
    public const string ExtraFile = "extra-file";
    /// <summary>A chain ends before the head or the registry says it should (its newest files were removed or hidden).</summary>
    public const string TruncatedChain = "truncated-chain";
    /// <summary>A whole chain folder is absent although a head or the registry names it.</summary>
    public const string MissingFolder = "missing-folder";
    /// <summary>The registry records a run that started long ago and never recorded evidence.</summary>
    public const string RunWithoutEvidence = "run-without-evidence";
    /// <summary>A head names another file at its position than the chain holds (rewritten history), or is behind the chain.</summary>
    public const string HeadMismatch = "head-mismatch";
    /// <summary>A chain with v2 files and no signed head.</summary>
    public const string MissingHead = "missing-head";
    /// <summary>A head, published heads file or head folder entry that is not signed by a trusted key or cannot be read.</summary>
    public const string BadHead = "bad-head";
    /// <summary>A file or folder in the evidence tree that is neither evidence nor one of the writer's own files.</summary>
    public const string UnexpectedEntry = "unexpected-entry";
    /// <summary>Nothing to verify where evidence was expected.</summary>
    public const string NoEvidence = "no-evidence";
}

/// <summary>Everything `evidence verify` found: per-file verdicts, named problems, and the entries it did not treat as evidence.</summary>
public sealed class EvidenceReport
{
    public List<EvidenceFileResult> Files { get; } = [];
    public List<EvidenceProblem> Problems { get; } = [];
    /// <summary>Entries that are not evidence but are expected (the writer's lock, keys, heads), each with why it was skipped.</summary>
    public List<(string Path, string Why)> Skipped { get; } = [];
    /// <summary>How trust was established and what was cross-checked, one line each.</summary>
    public List<string> Mode { get; } = [];

    public bool Ok => Files.All(f => f.Ok) && Problems.Count == 0;

    internal void Problem(string kind, string subject, string reason) => Problems.Add(new EvidenceProblem(kind, subject, reason));
}
