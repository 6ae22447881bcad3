using System.Globalization;
using System.Security.Cryptography;
using RunbookHost.Evidence;

// A synthetic fleet's evidence, written and signed by the product's own writer (so the format is whatever main writes):
//   dotnet run -c Release --project bench/EvidenceFleet -- <out> [tenants=1000] [nights=7] [checks=26] [runbooks=runbooks]
// Per tenant: a provision, a verify every night, a scheduled key rotation on night 4; one verify-fleet proof per
// night in _fleet. Every 97th tenant fails one check on the last night, every 89th is incomplete, so the report has
// something to show. <out>/evidence is the evidence root, <out>/secrets holds the signing key.
if (args.Length < 1)
{
    Console.Error.WriteLine("usage: EvidenceFleet <out> [tenants] [nights] [checks] [runbooks]");
    return 2;
}
var output = Path.GetFullPath(args[0]);
int Arg(int i, int fallback) => args.Length > i ? int.Parse(args[i], CultureInfo.InvariantCulture) : fallback;
var (tenants, nights, checks) = (Arg(1, 1000), Arg(2, 7), Arg(3, 26));
var runbooks = Path.GetFullPath(args.Length > 4 ? args[4] : "runbooks");
string Sha(string file) => Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(Path.Combine(runbooks, file))));
// The §9.2 checks a verify records today, by store (more are numbered probes when <checks> asks for more).
(string Store, string Section, string[] Tests)[] catalog =
[
    ("minio", "§9.1.1 MinIO", ["own_bucket_rw", "other_bucket_list", "other_bucket_get", "other_bucket_put", "anonymous_get", "policy_scope"]),
    ("postgresql", "§9.1.2 PostgreSQL", ["own_db_connect", "cross_db_connect", "create_in_public", "public_privilege", "role_attributes", "pg_hba_rule"]),
    ("qdrant", "§9.1.3 Qdrant", ["own_collection", "other_collection_read", "other_collection_write", "token_scope", "list_collections"]),
    ("redis", "§9.1.4 Redis", ["own_prefix_rw", "other_prefix_get", "other_prefix_set", "keys_scan", "pubsub_other", "flushall_denied"]),
    ("encryption", "§9.1.5 Encryption", ["own_key_decrypts", "other_key_refused", "sops_mac"]),
];
var names = catalog.SelectMany(c => c.Tests.Select(t => (c.Store, c.Section, Test: t))).ToList();
for (var extra = 0; names.Count < checks; extra++)
    names.Add((catalog[extra % catalog.Length].Store, catalog[extra % catalog.Length].Section, $"probe_{extra:D2}"));
var start = new DateTimeOffset(2026, 11, 1, 2, 0, 0, TimeSpan.Zero);

using var signer = EvidenceSigner.LoadOrCreate(Path.Combine(output, "secrets"), Path.Combine(output, "evidence"));
var writer = new EvidenceWriter(signer, Path.Combine(output, "evidence"));
var clock = System.Diagnostics.Stopwatch.StartNew();

RunRecord Record(string tenant, string runbook, string version, DateTimeOffset at, IReadOnlyDictionary<string, string>? parameters = null) => new()
{
    Runbook = runbook,
    RunbookVersion = version,
    RunbookFile = $"{runbook}.csx",
    RunbookSha256 = Sha($"{runbook}.csx"),
    Subjects = [new($"runbooks/{runbook}.csx", Sha($"{runbook}.csx")), new("runbooks/shared/isolation-checks.csx", Sha("shared/isolation-checks.csx")),
        new("runbooks/runbooks.lock", Sha("runbooks.lock"))],
    Tenant = tenant,
    Scope = tenant == EvidenceFormat.FleetScope ? EvidenceScopes.Fleet : EvidenceScopes.Tenant,
    Parameters = parameters ?? new Dictionary<string, string>(),
    StartedAt = at,
    FinishedAt = at.AddSeconds(1.8),
    HostVersion = "0.2.0",
    Operator = "scheduler@bench",
};

void AddChecks(RunRecord record, int t, bool last)
{
    for (var i = 0; i < checks; i++)
    {
        var (store, section, test) = names[i];
        var step = $"{section}: only the tenant's namespace, with its own credentials";
        var check = new CheckRecord(store, test, "DENIED", record.StartedAt.AddMilliseconds(100 * i), true, $"{store} {test} as {record.Tenant}") { Step = step };
        if (last && t % 97 == 0 && test == "cross_db_connect")
            check = check with { Result = "ALLOWED", Pass = false, Detail = $"{record.Tenant}'s user connected to another tenant's database" };
        else if (last && t % 89 == 0 && test == "other_collection_read")
            check = CheckRecord.Incomplete(store, test, "qdrant unreachable: connection refused") with { Step = step, Timestamp = check.Timestamp };
        if (record.Steps.Count == 0 || record.Steps[^1].Name != step)
            record.Steps.Add(new StepRecord(step, StepStatus.Succeeded, 35));
        record.Checks.Add(check);
    }
    record.Outcome = record.Checks.Any(c => c.Status == CheckStatus.Fail) ? RunOutcomes.Failed
        : record.Checks.Any(c => c.Status == CheckStatus.Incomplete) ? RunOutcomes.Incomplete : RunOutcomes.Passed;
    if (record.Outcome != RunOutcomes.Passed)
        record.Error = "a check did not pass";
}

Parallel.For(0, tenants, new ParallelOptions { MaxDegreeOfParallelism = 4 }, t =>
{
    var tenant = $"t{t:D5}";
    var provision = Record(tenant, "provision", "2.0.0", start.AddSeconds(t));
    AddChecks(provision, t, last: false);
    writer.Write(provision);
    for (var night = 1; night <= nights; night++)
    {
        var at = start.AddDays(night).AddSeconds(t);
        if (night == 4)
        {
            var rotation = Record(tenant, "rotate-keys", "2.0.0", at.AddMinutes(-30), new Dictionary<string, string> { ["reason"] = "scheduled" });
            rotation.Outcome = RunOutcomes.Passed;
            writer.Write(rotation);
        }
        var verify = Record(tenant, "verify", "2.0.0", at);
        AddChecks(verify, t, last: night == nights);
        writer.Write(verify);
    }
});
for (var night = 1; night <= nights; night++)
{
    var proof = Record(EvidenceFormat.FleetScope, "verify-fleet", "1.0.0", start.AddDays(night).AddHours(2));
    proof.Checks.Add(new CheckRecord("postgresql", "fleet_cross_tenant_connect", "DENIED", proof.StartedAt, true, $"{tenants} tenants, no pair may connect"));
    proof.Result = new System.Text.Json.Nodes.JsonObject { ["tenants"] = tenants, ["checks"] = 1 };
    proof.Outcome = RunOutcomes.Passed;
    writer.Write(proof);
}
Console.WriteLine($"wrote {tenants} tenants x {nights + 2} runs + {nights} fleet proofs to {output}/evidence in {clock.Elapsed.TotalSeconds:F1} s");
return 0;
