using RunbookHost.Evidence;

namespace RunbookHost.Report;

/// <summary>Everything a report shows, read once from the evidence folder, the verifier and the runbooks folder.</summary>
public sealed class ReportModel
{
    private readonly Dictionary<string, FileVerdict> _verdicts;

    private ReportModel(ReportOptions options, DateTimeOffset generatedAt, ReportVerification verification, EvidenceScan scan,
        SourceCatalog sources, IReadOnlyList<(string Tenant, IReadOnlyList<ReportRun> Runs)> tenants, IReadOnlyList<ReportRun> fleet)
    {
        Options = options;
        GeneratedAt = generatedAt;
        Verification = verification;
        Unreadable = scan.Unreadable;
        Sources = sources;
        Tenants = tenants;
        Fleet = fleet;
        Matrix = CheckMatrix.Build(tenants);
        _verdicts = verification.Files.ToDictionary(f => f.RelativePath, StringComparer.Ordinal);
    }

    public ReportOptions Options { get; }
    public DateTimeOffset GeneratedAt { get; }
    public ReportVerification Verification { get; }
    public IReadOnlyList<UnreadableEvidence> Unreadable { get; }
    public SourceCatalog Sources { get; }
    /// <summary>Each tenant's runs in the report's period, in chain order.</summary>
    public IReadOnlyList<(string Tenant, IReadOnlyList<ReportRun> Runs)> Tenants { get; }
    /// <summary>Fleet-wide proofs in the report's period, in chain order.</summary>
    public IReadOnlyList<ReportRun> Fleet { get; }
    public CheckMatrix Matrix { get; }

    public int RunCount => Tenants.Sum(t => t.Runs.Count) + Fleet.Count;

    /// <summary>True only when the verifier passed this file; a run without a verdict is not verified.</summary>
    public bool IsVerified(ReportRun run) => _verdicts.TryGetValue(run.RelativePath, out var v) && v.Ok;

    public FileVerdict? VerdictOf(ReportRun run) => _verdicts.GetValueOrDefault(run.RelativePath);

    public static ReportModel Build(ReportOptions options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        var generatedAt = time.GetUtcNow();
        var folders = options.Tenants is null ? null : options.Tenants.Append(EvidenceFormat.FleetScope).Distinct(StringComparer.Ordinal).ToList();
        var verification = ReportVerification.Run(options.EvidenceRoot, options.Trust, folders, options.RegistryMode);
        var scan = EvidenceScan.Read(options.EvidenceRoot, folders?.ToHashSet(StringComparer.Ordinal));
        IReadOnlyList<ReportRun> InPeriod(IReadOnlyList<ReportRun> runs) =>
            options.Since is { } since ? runs.Where(r => r.StartedAt >= since).ToList() : runs;
        var tenants = scan.Tenants.Select(t => (t, InPeriod(scan.RunsByFolder[t]))).ToList();
        return new ReportModel(options, generatedAt, verification, scan, SourceCatalog.Load(options.RunbooksFolder), tenants, InPeriod(scan.Fleet));
    }
}
