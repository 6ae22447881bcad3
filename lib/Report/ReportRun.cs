using RunbookHost.Evidence;

namespace RunbookHost.Report;

/// <summary>
/// One evidence file as the report reads it: what the signed payload claims (v1 or v2, parsed tolerantly), where the
/// file is, and its SHA-256. Whether the claim can be trusted is <see cref="FileVerdict"/>'s business, kept beside it.
/// </summary>
public sealed record ReportRun
{
    /// <summary>The folder the file is in: a tenant id, or <see cref="EvidenceFormat.FleetScope"/>.</summary>
    public required string Folder { get; init; }
    /// <summary>Path relative to the evidence root with '/' ("acme/20261202T…-verify.json").</summary>
    public required string RelativePath { get; init; }
    public required string Sha256 { get; init; }
    /// <summary>The envelope's signature key id (hex SHA-256 of the signing key), or null when absent.</summary>
    public string? KeyId { get; init; }
    /// <summary>1 or 2: the predicate type's version.</summary>
    public required int FormatVersion { get; init; }
    public required string Runbook { get; init; }
    public string RunbookVersion { get; init; } = "";
    /// <summary>Every file that was compiled, runbook first (v1 names only the runbook).</summary>
    public IReadOnlyList<EvidenceSubject> Subjects { get; init; } = [];
    public string Scope { get; init; } = EvidenceScopes.Tenant;
    public required DateTimeOffset StartedAt { get; init; }
    public DateTimeOffset? FinishedAt { get; init; }
    /// <summary>passed, failed or incomplete (v1: derived from overall_pass).</summary>
    public required string Outcome { get; init; }
    public bool DryRun { get; init; }
    public string? HostVersion { get; init; }
    public string? Operator { get; init; }
    public long? Sequence { get; init; }
    public string? Error { get; init; }
    public IReadOnlyDictionary<string, string> Parameters { get; init; } = new Dictionary<string, string>();
    public IReadOnlyList<string> Incomplete { get; init; } = [];
    /// <summary>A fleet-wide run's tenant count: its "tenants" parameter (v1) or its result's "tenants" (verify-fleet).</summary>
    public int? FleetTenants { get; init; }
    public IReadOnlyList<StepRecord> Steps { get; init; } = [];
    public IReadOnlyList<CheckRecord> Checks { get; init; } = [];

    public double? DurationMs => FinishedAt is { } end ? (end - StartedAt).TotalMilliseconds : null;

    public string FileName => RelativePath[(RelativePath.LastIndexOf('/') + 1)..];
}

/// <summary>A file the report could not read as evidence at all (its verdict says why too).</summary>
public sealed record UnreadableEvidence(string Folder, string RelativePath, string Reason);
