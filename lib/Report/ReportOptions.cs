namespace RunbookHost.Report;

/// <summary>What a report covers and where it reads from (validated by the command before anything is read).</summary>
public sealed record ReportOptions
{
    public required string EvidenceRoot { get; init; }
    /// <summary>What verification trusts and cross-checks: the same pinned keys, heads and registry runs as `evidence verify`.</summary>
    public required RunbookHost.Evidence.EvidenceVerifyOptions Trust { get; init; }
    /// <summary>Whether the registry was cross-checked, in words ("registry: cross-checked (…)", "registry: not checked (…)").</summary>
    public string RegistryMode { get; init; } = "registry: not checked";
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
