using System.Text.Json.Nodes;
using Grpc.Core;
using Qdrant.Client;
using Qdrant.Client.Grpc;
using RunbookHost.Evidence;
using RunbookHost.Tenants;

namespace RunbookHost.Stores.Qdrant;

/// <summary>Per-tenant live checks with the tenant's token, and the fleet-wide audit of every tenant token's scope.</summary>
public sealed partial class QdrantTenantStore
{
    /// <summary>
    /// Live §9 checks with the tenant's token as api key: upsert + query in its own collection (ALLOWED),
    /// query and upsert in each other collection (DENIED by the server), and the guard refusing a wrong
    /// name (DENIED). With no <paramref name="otherTenants"/>, a random unused tenant collection is probed.
    /// </summary>
    public async Task<IReadOnlyList<CheckRecord>> VerifyTenantAsync(TenantId tenant, string tenantToken, IEnumerable<TenantId>? otherTenants = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(tenant);
        var own = GuardedName(tenant, CollectionName(tenant));
        var others = (otherTenants ?? []).Where(o => o != tenant).Distinct().ToList();
        if (others.Count == 0)
            others.Add(TenantId.Parse("zprobe" + Guid.NewGuid().ToString("N")[..16]));
        var checks = new List<CheckRecord>();
        using var client = CreateTenantClient(tenantToken);

        checks.Add(await OwnCollectionCheckAsync(client, own, cancellationToken).ConfigureAwait(false));
        foreach (var other in others)
        {
            var foreign = CollectionName(other);
            checks.Add(await CrossTenantCheckAsync("cross_tenant_query", foreign, () => client.QueryAsync(foreign, query: ProbeVector(), limit: 1, cancellationToken: cancellationToken)).ConfigureAwait(false));
            checks.Add(await CrossTenantCheckAsync("cross_tenant_upsert", foreign, () => client.UpsertAsync(foreign, [ProbePoint()], wait: true, cancellationToken: cancellationToken)).ConfigureAwait(false));
        }

        try
        {
            QdrantTenantGuard.Verify(tenant, CollectionName(others[0]));
            checks.Add(Check("guard_wrong_collection", "ALLOWED", false, "the guard accepted another tenant's collection"));
        }
        catch (QdrantTenantAccessException)
        {
            checks.Add(Check("guard_wrong_collection", "DENIED", true, $"guard refused {CollectionName(others[0])} for {tenant.Value}"));
        }
        return checks;
    }

    /// <summary>
    /// Fleet-wide proof without connecting: each tenant's token must verify with the api key, carry an
    /// `access` list naming only `tenant_{id}` (rw at most) and no other tenant's collection. One
    /// `token_scope` check per tenant, plus `fleet_cross_tenant_pairs` with the counts of pairs checked and denied.
    /// </summary>
    public IReadOnlyList<CheckRecord> VerifyFleetTokens(IReadOnlyDictionary<TenantId, string> tokens)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        var checks = new List<CheckRecord>();
        var granted = new Dictionary<TenantId, HashSet<string>?>(); // null = unscoped (global) access
        foreach (var (tenant, token) in tokens)
        {
            var own = CollectionName(tenant);
            if (!QdrantJwt.TryVerify(token, _settings.ApiKey, _time.GetUtcNow(), ExpLeeway, out var claims, out var reason))
            {
                checks.Add(Check("token_scope", "FAIL", false, $"{tenant.Value}: {reason}"));
                granted[tenant] = [];
                continue;
            }
            var (collections, problem) = ScopeOf(claims);
            granted[tenant] = collections;
            if (problem is null && collections is not null && collections.SetEquals([own]))
                checks.Add(Check("token_scope", "PASS", true, $"{tenant.Value}: access names only {own}"));
            else
                checks.Add(Check("token_scope", "FAIL", false, $"{tenant.Value}: {problem ?? "access names collections other than " + own}"));
        }

        int pairs = 0, denied = 0;
        var leaks = new List<string>();
        foreach (var a in tokens.Keys)
        {
            foreach (var b in tokens.Keys)
            {
                if (a == b)
                    continue;
                pairs++;
                var set = granted[a];
                if (set is not null && !set.Contains(CollectionName(b)))
                    denied++;
                else
                    leaks.Add($"{a.Value}->{b.Value}");
            }
        }
        var detail = $"{pairs} pairs checked, {denied} denied" + (leaks.Count > 0 ? "; granted: " + string.Join(", ", leaks) : "");
        checks.Add(Check("fleet_cross_tenant_pairs", pairs == denied ? "DENIED" : "ALLOWED", pairs == denied, detail));
        return checks;
    }

    /// <summary>The collections an access claim grants; null = global access (or no access claim: Qdrant then grants everything).</summary>
    private static (HashSet<string>? Collections, string? Problem) ScopeOf(JsonObject claims)
    {
        switch (claims["access"])
        {
            case null:
                return (null, "no access claim (Qdrant grants full access)");
            case JsonValue v:
                return (null, $"global access \"{v}\"");
            case JsonArray list:
                var set = new HashSet<string>(StringComparer.Ordinal);
                foreach (var item in list)
                {
                    var name = item?["collection"]?.GetValue<string>();
                    var mode = item?["access"]?.GetValue<string>();
                    if (name is null || mode is not ("r" or "rw"))
                        return (set, "access entry is not {collection, r|rw}");
                    set.Add(name);
                }
                return (set, set.Count == 0 ? "empty access list" : null);
            default:
                return (null, "access claim has an unknown form");
        }
    }

    private async Task<CheckRecord> OwnCollectionCheckAsync(QdrantClient client, string own, CancellationToken ct)
    {
        var point = ProbePoint();
        try
        {
            await client.UpsertAsync(own, [point], wait: true, cancellationToken: ct).ConfigureAwait(false);
            var hits = await client.QueryAsync(own, query: ProbeVector(), limit: 10, cancellationToken: ct).ConfigureAwait(false);
            var found = hits.Any(h => h.Id.Equals(point.Id));
            await client.DeleteAsync(own, Guid.Parse(point.Id.Uuid), wait: true, cancellationToken: ct).ConfigureAwait(false);
            return Check("own_collection_upsert_query", found ? "ALLOWED" : "FAIL", found,
                found ? $"upserted, found and deleted a probe point in {own}" : $"probe point not found by query in {own}");
        }
        catch (RpcException e)
        {
            return Check("own_collection_upsert_query", "DENIED", false, $"{own}: {e.StatusCode} {e.Status.Detail}");
        }
    }

    private async Task<CheckRecord> CrossTenantCheckAsync(string test, string foreign, Func<Task> attempt)
    {
        try
        {
            await attempt().ConfigureAwait(false);
            return Check(test, "ALLOWED", false, $"the tenant token reached {foreign}");
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.PermissionDenied)
        {
            return Check(test, "DENIED", true, $"{foreign}: PermissionDenied");
        }
        catch (RpcException e)
        {
            return Check(test, "FAIL", false, $"{foreign}: expected PermissionDenied, got {e.StatusCode}");
        }
    }

    private CheckRecord Check(string test, string result, bool pass, string detail) =>
        new(StoreName, test, result, _time.GetUtcNow(), pass, detail);

    private float[] ProbeVector()
    {
        var v = new float[_settings.VectorSize];
        Array.Fill(v, 1f / MathF.Sqrt(v.Length));
        return v;
    }

    private PointStruct ProbePoint() => new()
    {
        Id = Guid.NewGuid(),
        Vectors = ProbeVector(),
        Payload = { ["runbookhost_probe"] = true },
    };
}
