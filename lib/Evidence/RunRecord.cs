namespace RunbookHost.Evidence;

/// <summary>
/// What one runbook run did, as it goes into the evidence predicate. Built by the host while the
/// runbook runs; never holds secrets (parameters marked secret are masked before they get here).
/// </summary>
public sealed class RunRecord
{
    public required string Runbook { get; init; }
    public required string RunbookVersion { get; init; }
    public required string RunbookFile { get; init; }
    public required string RunbookSha256 { get; init; }
    public required string Tenant { get; init; }
    public IReadOnlyDictionary<string, string> Parameters { get; init; } = new Dictionary<string, string>();
    public bool DryRun { get; init; }
    public required DateTimeOffset StartedAt { get; init; }
    public DateTimeOffset FinishedAt { get; set; }
    public required string HostVersion { get; init; }
    public required string Operator { get; init; }
    public List<StepRecord> Steps { get; } = [];
    public List<CheckRecord> Checks { get; } = [];
    public List<string> RolledBack { get; } = [];
    public bool OverallPass { get; set; }
    public string? Error { get; set; }
    /// <summary>The script's return value, serialized as JSON (null when it returned nothing).</summary>
    public System.Text.Json.Nodes.JsonNode? Result { get; set; }
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

/// <summary>A §9.2 check: store, test, result (e.g. ALLOWED, DENIED, PASS, FAIL, SKIPPED), timestamp; Pass says whether the result is the expected one.</summary>
public sealed record CheckRecord(string Store, string Test, string Result, DateTimeOffset Timestamp, bool Pass, string? Detail = null);
