using System.Text.Json.Nodes;
using RunbookHost.Evidence;
using RunbookHost.Tenants;

namespace RunbookHost.Stores.Minio;

/// <summary>Fleet-wide proof from the admin view: every tenant user's attached policies evaluated against every other bucket.</summary>
public sealed partial class MinioTenantStore
{
    /// <summary>
    /// Fleet-wide proof from the admin view: list-users, each tenant user's attached policies fetched and evaluated.
    /// For every (tenant user, other tenant bucket) pair, ListBucket/GetObject/PutObject/DeleteObject must all be denied,
    /// and each user's policies must be confined to its own bucket ARN.
    /// </summary>
    public async Task<MinioFleetReport> VerifyFleetAsync(CancellationToken ct)
    {
        var users = await Admin.ListUsersAsync(ct).ConfigureAwait(false);
        var tenants = new Dictionary<TenantId, MinioUserInfo>();
        foreach (var (name, info) in users)
        {
            if (name.StartsWith("tenant-", StringComparison.Ordinal) && name.EndsWith("-access", StringComparison.Ordinal)
                && TenantId.TryParse(name["tenant-".Length..^"-access".Length], out var id, out _))
                tenants[id] = info;
        }
        var buckets = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var b in (await _root.Value.ListBucketsAsync(ct).ConfigureAwait(false)).Buckets)
            buckets.Add(b.Name);
        foreach (var id in tenants.Keys)
            buckets.Add(Names(id).Bucket);

        var documents = new Dictionary<string, string?>(StringComparer.Ordinal);
        var problems = new List<string>();
        int pairs = 0, denied = 0;
        foreach (var (id, info) in tenants.OrderBy(t => t.Key.Value, StringComparer.Ordinal))
        {
            var n = Names(id);
            var statements = new JsonArray();
            foreach (var p in info.Policies)
            {
                if (!documents.TryGetValue(p, out var doc))
                    documents[p] = doc = await Admin.GetCannedPolicyAsync(p, ct).ConfigureAwait(false);
                if (doc is null)
                {
                    problems.Add($"{n.User}: attached policy {p} does not exist");
                    continue;
                }
                if (JsonNode.Parse(doc)?["Statement"] is JsonNode s)
                {
                    foreach (var st in s is JsonArray a ? a.ToList() : [s])
                        statements.Add(st?.DeepClone());
                }
            }
            var merged = new JsonObject { ["Version"] = "2012-10-17", ["Statement"] = statements }.ToJsonString();
            if (!info.Policies.Contains(n.Policy))
                problems.Add($"{n.User}: {n.Policy} is not attached");
            foreach (var problem in MinioTenantPolicy.ConfinementProblems(merged, id))
                problems.Add($"{n.User}: {problem}");
            foreach (var bucket in buckets.Where(b => b != n.Bucket))
            {
                pairs++;
                var arn = "arn:aws:s3:::" + bucket;
                var anyAllowed = MinioTenantPolicy.IsAllowed(merged, "s3:ListBucket", arn)
                    || MinioTenantPolicy.IsAllowed(merged, "s3:GetObject", arn + "/raw/x")
                    || MinioTenantPolicy.IsAllowed(merged, "s3:PutObject", arn + "/raw/x")
                    || MinioTenantPolicy.IsAllowed(merged, "s3:DeleteObject", arn + "/raw/x");
                if (anyAllowed)
                    problems.Add($"{n.User}: policy allows access to {bucket}");
                else
                    denied++;
            }
        }
        var pass = problems.Count == 0 && pairs == denied;
        var check = Check("fleet_policy_confinement", pass ? "PASS" : "FAIL", pass,
            $"{tenants.Count} tenant user(s), {pairs} cross pair(s) checked, {denied} denied{(problems.Count > 0 ? "; " + string.Join("; ", problems) : "")}");
        return new MinioFleetReport(tenants.Count, pairs, denied, problems, check);
    }
}

/// <summary>Fleet-wide proof: every tenant user's attached policies allow only its own bucket.</summary>
public sealed record MinioFleetReport(int TenantUsers, int PairsChecked, int PairsDenied, IReadOnlyList<string> Problems, CheckRecord Check)
{
    public bool Pass => Problems.Count == 0 && PairsChecked == PairsDenied;
}
