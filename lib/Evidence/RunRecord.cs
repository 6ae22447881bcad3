namespace RunbookHost.Evidence;

/// <summary>
/// What one runbook run did, as it goes into the evidence predicate. Built by the host while the
/// runbook runs; never holds secrets (parameters marked secret are masked before they get here).
/// </summary>
public sealed class RunRecord
{
    public required string Runbook { get; init; }
    public required string RunbookVersion { get; init; }
    /// <summary>The runbook file as the evidence names it ("runbooks/verify.csx"); also the first subject.</summary>
    public required string RunbookFile { get; init; }
    public required string RunbookSha256 { get; init; }
    /// <summary>
    /// Every file of the compiled closure as in-toto subjects: the runbook first, then each <c>#load</c>ed file, then the
    /// lock file. Empty means only the runbook itself is known (<see cref="RunbookFile"/>, <see cref="RunbookSha256"/>).
    /// </summary>
    public IReadOnlyList<EvidenceSubject> Subjects { get; init; } = [];
    /// <summary>"tenant", or "fleet" for a fleet-wide run (then <see cref="Tenant"/> is <see cref="EvidenceFormat.FleetScope"/>).</summary>
    public string Scope { get; init; } = EvidenceScopes.Tenant;
    public required string Tenant { get; init; }
    public IReadOnlyDictionary<string, string> Parameters { get; init; } = new Dictionary<string, string>();
    public bool DryRun { get; init; }
    public required DateTimeOffset StartedAt { get; init; }
    public DateTimeOffset FinishedAt { get; set; }
    public required string HostVersion { get; init; }
    /// <summary>The commit the host was built from (40 hex), or null when unknown.</summary>
    public string? HostCommit { get; init; }
    /// <summary>The git commit of the runbooks folder's checkout, or null when it is not a git checkout.</summary>
    public string? RunbooksCommit { get; init; }
    public required string Operator { get; init; }
    public List<StepRecord> Steps { get; } = [];
    public List<CheckRecord> Checks { get; } = [];
    public List<string> RolledBack { get; } = [];
    /// <summary>One of <see cref="RunOutcomes"/>.</summary>
    public string Outcome { get; set; } = RunOutcomes.Failed;
    /// <summary>Run-level reasons the run is incomplete (e.g. "registry unreachable"); incomplete checks carry their own.</summary>
    public List<string> Incomplete { get; } = [];
    /// <summary>True only when <see cref="Outcome"/> is passed.</summary>
    public bool OverallPass
    {
        get => Outcome == RunOutcomes.Passed;
        set => Outcome = value ? RunOutcomes.Passed : RunOutcomes.Failed;
    }
    public string? Error { get; set; }
    /// <summary>The script's return value, serialized as JSON (null when it returned nothing).</summary>
    public System.Text.Json.Nodes.JsonNode? Result { get; set; }
}

/// <summary>One in-toto subject: a file's name as the evidence shows it ("runbooks/…") and the SHA-256 of its bytes.</summary>
public sealed record EvidenceSubject(string Name, string Sha256);

public static class EvidenceScopes
{
    public const string Tenant = "tenant";
    public const string Fleet = "fleet";
}

/// <summary>One named step. Status is one of <see cref="StepStatus"/>.</summary>
public sealed record StepRecord(string Name, string Status, double DurationMs, string? Detail = null);

public static class StepStatus
{
    public const string Succeeded = "succeeded";
    public const string Failed = "failed";
    public const string Skipped = "skipped";
    public const string Planned = "planned"; // dry run: what would have been done
    public const string RolledBack = "rolled_back";
}

/// <summary>
/// A §9.2 check: store, test, result (e.g. ALLOWED, DENIED, PASS, FAIL, SKIPPED, NOT_VERIFIED), timestamp; Pass says whether
/// the result is the expected one. <see cref="Status"/> tells the four outcomes apart (see <see cref="CheckStatus"/>):
/// SKIPPED is legitimate only for what the tenant does not have; what it has but could not be proven is incomplete.
/// </summary>
public sealed record CheckRecord(string Store, string Test, string Result, DateTimeOffset Timestamp, bool Pass, string? Detail = null, string? ExplicitStatus = null)
{
    /// <summary>Result word of a check that should have run and could not (store not configured or unreachable, registry unknown…).</summary>
    public const string NotVerified = "NOT_VERIFIED";

    /// <summary>One of <see cref="CheckStatus"/>: pass, fail, skipped or incomplete.</summary>
    public string Status => ExplicitStatus
        ?? (Result == "SKIPPED" ? CheckStatus.Skipped : Pass ? CheckStatus.Pass : CheckStatus.Fail);

    /// <summary>The step that recorded this check (set by the host when it records it), e.g. "§9.1.2 PostgreSQL: …".</summary>
    public string? Step { get; init; }

    /// <summary>Something the tenant has (or may have) could not be verified: the run cannot pass, and says why.</summary>
    public static CheckRecord Incomplete(string store, string test, string reason) =>
        new(store, test, NotVerified, default, false, reason, CheckStatus.Incomplete);

    /// <summary>Legitimately not checked: the tenant does not have this (the reason says so).</summary>
    public static CheckRecord Skipped(string store, string test, string reason) =>
        new(store, test, "SKIPPED", default, true, $"skipped: {reason}", CheckStatus.Skipped);
}

/// <summary>The four outcomes of a check. A run passes only when no check failed and none is incomplete.</summary>
public static class CheckStatus
{
    public const string Pass = "pass";
    public const string Fail = "fail";
    public const string Skipped = "skipped";
    public const string Incomplete = "incomplete";
}

/// <summary>A run's result: never two outcomes, three (issue: verification that can never pass vacuously).</summary>
public static class RunOutcomes
{
    public const string Passed = "passed";
    public const string Failed = "failed";
    /// <summary>Nothing failed, but something that should have been verified was not: not a pass.</summary>
    public const string Incomplete = "incomplete";
}
