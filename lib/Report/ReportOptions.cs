namespace RunbookHost.Report;

/// <summary>What a report covers and where it reads from (validated by the command before anything is read).</summary>
public sealed record ReportOptions
{
    public required string EvidenceRoot { get; init; }
    /// <summary>The trusted public key (PEM); null: the one in the evidence folder, which the report flags as not independent.</summary>
    public string? KeyPath { get; init; }
    public string RunbooksFolder { get; init; } = "runbooks";
    /// <summary>Only runs that started at or after this instant are shown (verification always covers every file).</summary>
    public DateTimeOffset? Since { get; init; }
    /// <summary>Only these tenants (null: every tenant folder).</summary>
    public IReadOnlyList<string>? Tenants { get; init; }
    public required string HostVersion { get; init; }
}

/// <summary>The output formats of `runbook-host report`.</summary>
public enum ReportFormat
{
    Html,
    Hdf,
    Junit,
}
