using RunbookHost.Evidence;
using RunbookHost.Report;
using RunbookHost.Tests.Evidence;
using RunbookHost.Tests.Runbooks;

namespace RunbookHost.Tests.Report;

/// <summary>
/// A signed evidence tree as the product writes it (lib/Evidence's writer, so v1 today and v2 once the writer moves),
/// for tenants that were provisioned, verified on two nights and rotated once, with the fleet-wide proof each night,
/// and a copy of the repository's runbooks/ whose hashes the evidence names.
/// </summary>
public sealed class ReportEvidence : IDisposable
{
    public static readonly DateTimeOffset Night1 = new(2026, 12, 1, 2, 0, 0, TimeSpan.Zero);
    public static readonly DateTimeOffset Night2 = Night1.AddDays(1);

    public static readonly (string Step, string Store, string Test, string Result)[] VerifyChecks =
    [
        ("§9.1.2 PostgreSQL: only the tenant's database, as its own user (§3.3)", "postgresql", "own_db_connect", "ALLOWED"),
        ("§9.1.2 PostgreSQL: only the tenant's database, as its own user (§3.3)", "postgresql", "cross_db_connect", "DENIED"),
        ("§9.1.4 Redis: only the tenant's key prefix, as its own ACL user (§5.3)", "redis", "own_prefix_rw", "ALLOWED"),
        ("§9.1.4 Redis: only the tenant's key prefix, as its own ACL user (§5.3)", "redis", "other_prefix_get", "DENIED"),
        ("§9.1.5 Encryption: the secrets decrypt with the tenant's key only (§6)", "encryption", "own_key_decrypts", "PASS"),
    ];

    public ReportEvidence()
    {
        RunbooksDir = Path.Combine(Env.Root, "runbooks");
        foreach (var file in Directory.EnumerateFiles(Path.Combine(StorageEnvironment.RepositoryRoot(), "runbooks"), "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(RunbooksDir, Path.GetRelativePath(Path.Combine(StorageEnvironment.RepositoryRoot(), "runbooks"), file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }

    public EvidenceTestEnvironment Env { get; } = new();
    public string EvidenceRoot => Env.EvidenceRoot;
    public string RunbooksDir { get; }

    public string Sha(string runbookFile) => EvidenceTestEnvironment.Sha256Hex(Path.Combine(RunbooksDir, runbookFile));

    /// <summary>Provision on night 1, verify on both nights, a scheduled rotation on night 2; returns the last verify's file.</summary>
    public string WriteTenant(string tenant, Func<CheckRecord, CheckRecord>? lastVerify = null)
    {
        Env.Writer.Write(Record(tenant, "provision", Night1, checks: true));
        Env.Writer.Write(Record(tenant, "verify", Night1.AddMinutes(5), checks: true));
        Env.Writer.Write(Record(tenant, "rotate-keys", Night2, parameters: new Dictionary<string, string> { ["reason"] = "scheduled" }));
        var last = Record(tenant, "verify", Night2.AddMinutes(5), checks: true, change: lastVerify);
        return Env.Writer.Write(last);
    }

    /// <summary>A verify whose cross_db_connect fails (with this detail), own_prefix_rw is incomplete and own_key_decrypts skipped.</summary>
    public static Func<CheckRecord, CheckRecord> OneOfEach(string failDetail) => c => c.Test switch
    {
        "cross_db_connect" => c with { Result = "ALLOWED", Pass = false, Detail = failDetail },
        "own_prefix_rw" => CheckRecord.Incomplete(c.Store, c.Test, "redis unreachable") with { Step = c.Step },
        "own_key_decrypts" => CheckRecord.Skipped(c.Store, c.Test, "no secrets file") with { Step = c.Step },
        _ => c,
    };

    public string WriteFleetProof(DateTimeOffset at, int tenants, bool pass = true)
    {
        var record = Record(EvidenceFormat.FleetScope, "verify-fleet", at.AddMinutes(30));
        record.Result = new System.Text.Json.Nodes.JsonObject { ["tenants"] = tenants, ["checks"] = 1 };
        record.Checks.Add(new CheckRecord("postgresql", "fleet_cross_tenant_connect", pass ? "DENIED" : "ALLOWED", at.AddMinutes(31), pass,
            pass ? "no tenant role may connect to another tenant's database" : "tenant_globex_user may connect to tenant_acme"));
        record.OverallPass = pass;
        if (!pass)
            record.Error = "1 fleet check(s) failed";
        return Env.Writer.Write(record);
    }

    public RunRecord Record(string tenant, string runbook, DateTimeOffset startedAt, bool checks = false,
        IReadOnlyDictionary<string, string>? parameters = null, Func<CheckRecord, CheckRecord>? change = null)
    {
        var file = $"{runbook}.csx";
        var record = new RunRecord
        {
            Runbook = runbook,
            RunbookVersion = runbook == "rotate-keys" ? "1.1.0" : "1.0.0",
            RunbookFile = file,
            RunbookSha256 = Sha(file),
            Subjects = [new($"runbooks/{file}", Sha(file)), new("runbooks/shared/isolation-checks.csx", Sha("shared/isolation-checks.csx")),
                new("runbooks/runbooks.lock", Sha("runbooks.lock"))],
            Tenant = tenant,
            Scope = tenant == EvidenceFormat.FleetScope ? EvidenceScopes.Fleet : EvidenceScopes.Tenant,
            Parameters = parameters ?? new Dictionary<string, string>(),
            StartedAt = startedAt,
            FinishedAt = startedAt.AddSeconds(2.5),
            HostVersion = "0.1.0",
            Operator = "scheduler@test",
        };
        foreach (var step in VerifyChecks.Select(c => c.Step).Distinct())
            record.Steps.Add(new StepRecord(runbook == "provision" ? step.Replace("§9.1", "§10.8", StringComparison.Ordinal) : step, StepStatus.Succeeded, 40));
        if (checks)
        {
            foreach (var (step, store, test, result) in VerifyChecks)
            {
                var check = new CheckRecord(store, test, result, startedAt.AddSeconds(1), true, $"{test} for {tenant}") { Step = step };
                record.Checks.Add(change?.Invoke(check) ?? check);
            }
        }
        record.Outcome = record.Checks.Any(c => c.Status == CheckStatus.Fail) ? RunOutcomes.Failed
            : record.Checks.Any(c => c.Status == CheckStatus.Incomplete) ? RunOutcomes.Incomplete : RunOutcomes.Passed;
        if (record.Outcome != RunOutcomes.Passed)
            record.Error = $"{record.Checks.Count(c => !c.Pass)} check(s) failed";
        return record;
    }

    /// <summary>
    /// A tenant's first and only evidence file, signed exactly as the writer signs but written without its lock and
    /// fsyncs: for building a 1,000-tenant tree in a test in a second instead of a quarter of a minute.
    /// </summary>
    public string WriteFirstFileFast(RunRecord record)
    {
        var payload = EvidencePayload.Serialize(record, previous: null, 1, Env.Clock);
        var envelope = EvidenceFormat.SerializeEnvelope(EvidenceFormat.PayloadType, payload, Env.Signer.KeyId,
            Env.Signer.Sign(DssePae.Encode(EvidenceFormat.PayloadType, payload)));
        var folder = Directory.CreateDirectory(Path.Combine(EvidenceRoot, record.Tenant)).FullName;
        var path = Path.Combine(folder, EvidenceFormat.FileName(record.StartedAt, record.Runbook));
        File.WriteAllBytes(path, envelope);
        return path;
    }

    public ReportModel Model(string? key = null, DateTimeOffset? since = null, IReadOnlyList<string>? tenants = null) =>
        ReportModel.Build(new ReportOptions
        {
            EvidenceRoot = EvidenceRoot,
            Trust = EvidenceVerifyOptions.WithKeyFile(key ?? Env.PublicKeyPath),
            RunbooksFolder = RunbooksDir,
            Since = since,
            Tenants = tenants,
            HostVersion = "0.1.0-test",
        }, new ManualClock(Night2.AddHours(8)));

    public void Dispose() => Env.Dispose();
}
