using System.Text.Json.Nodes;
using Grpc.Core;
using Qdrant.Client;
using Qdrant.Client.Grpc;
using RunbookHost.Evidence;
using RunbookHost.Tenants;

namespace RunbookHost.Stores.Qdrant;

/// <summary>
/// A tenant's Qdrant collection `tenant_{id}` and its collection-scoped JWT (Qdrant ≥ 1.9 with
/// `service.jwt_rbac: true`). Collection management uses the admin api key; tenants get tokens with
/// `{"access":[{"collection":"tenant_{id}","access":"rw"}]}` signed with that key.
/// </summary>
public sealed class QdrantTenantStore : IDisposable
{
    public const string StoreName = "qdrant";

    /// <summary>Qdrant accepts an `exp` up to 30 s in the past (clock-skew leeway); the fleet audit uses the same.</summary>
    public static readonly TimeSpan ExpLeeway = TimeSpan.FromSeconds(30);

    private readonly QdrantSettings _settings;
    private readonly TimeProvider _time;
    private readonly Distance _distance;
    private readonly Lazy<QdrantClient> _admin;

    public QdrantTenantStore(QdrantSettings settings, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (!Uri.TryCreate(settings.Endpoint, UriKind.Absolute, out var endpoint) || endpoint.Scheme is not ("http" or "https"))
            throw new ArgumentException("Qdrant:Endpoint must be an absolute http(s) gRPC address such as http://127.0.0.1:6334", nameof(settings));
        if (string.IsNullOrEmpty(settings.ApiKey))
            throw new ArgumentException("Qdrant:ApiKey is required: it authorizes collection management and signs tenant tokens", nameof(settings));
        if (settings.VectorSize == 0)
            throw new ArgumentException("Qdrant:VectorSize must be positive", nameof(settings));
        if (settings.TokenLifetimeDays < 0)
            throw new ArgumentException("Qdrant:TokenLifetimeDays must be 0 (no exp) or positive", nameof(settings));
        if (settings.TokenRegistryCollection.StartsWith(QdrantTenantGuard.Prefix, StringComparison.Ordinal) || settings.TokenRegistryCollection.Length == 0)
            throw new ArgumentException("Qdrant:TokenRegistryCollection must be non-empty and must not start with tenant_", nameof(settings));
        _distance = ParseDistance(settings.Distance);
        _settings = settings;
        _time = timeProvider ?? TimeProvider.System;
        Endpoint = endpoint;
        _admin = new Lazy<QdrantClient>(() => NewClient(settings.ApiKey));
    }

    public Uri Endpoint { get; }

    /// <summary>Same as <see cref="QdrantTenantGuard.CollectionName"/>.</summary>
    public static string CollectionName(TenantId tenant) => QdrantTenantGuard.CollectionName(tenant);

    /// <summary>A client that authenticates with a tenant token (the token goes as `api-key` metadata). Caller disposes.</summary>
    public QdrantClient CreateTenantClient(string tenantToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(tenantToken);
        return NewClient(tenantToken);
    }

    // ---- provisioning ------------------------------------------------------------------------

    /// <summary>Creates `tenant_{id}` if absent; an existing collection is fine only with the configured vector size and distance.</summary>
    public async Task<QdrantProvisionResult> ProvisionAsync(TenantId tenant, CancellationToken cancellationToken = default)
    {
        var collection = GuardedName(tenant, CollectionName(tenant));
        var created = await EnsureCollectionAsync(collection, _settings.VectorSize, _distance, cancellationToken).ConfigureAwait(false);
        return new QdrantProvisionResult(collection, created);
    }

    /// <summary>Deletes `tenant_{id}` (absent = fine) and revokes the tenant's registered tokens.</summary>
    public async Task DeprovisionAsync(TenantId tenant, CancellationToken cancellationToken = default)
    {
        var collection = GuardedName(tenant, CollectionName(tenant));
        await Call($"delete collection {collection}", async () =>
        {
            if (await _admin.Value.CollectionExistsAsync(collection, cancellationToken).ConfigureAwait(false))
                await _admin.Value.DeleteCollectionAsync(collection, cancellationToken: cancellationToken).ConfigureAwait(false);
        }).ConfigureAwait(false);
        await RevokeTenantTokensAsync(tenant, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Does `tenant_{id}` exist (admin view)?</summary>
    public Task<bool> CollectionExistsAsync(TenantId tenant, CancellationToken cancellationToken = default)
    {
        var collection = GuardedName(tenant, CollectionName(tenant));
        return Call($"query collection {collection}", () => _admin.Value.CollectionExistsAsync(collection, cancellationToken));
    }

    /// <summary>Dry-runnable provision: describes the calls without connecting.</summary>
    public QdrantPlan PlanProvision(TenantId tenant)
    {
        var collection = GuardedName(tenant, CollectionName(tenant));
        var steps = new List<string>
        {
            $"qdrant.Collections/CollectionExists {{collection_name: \"{collection}\"}} [api-key: ***]",
            $"if absent: qdrant.Collections/Create {{collection_name: \"{collection}\", vectors_config: {{params: {{size: {_settings.VectorSize}, distance: {_distance}}}}}}} [api-key: ***]",
            $"if present: qdrant.Collections/Get {{collection_name: \"{collection}\"}} [api-key: ***]; fail unless vectors are size {_settings.VectorSize}, distance {_distance}",
            $"qdrant.Collections/CollectionExists {{collection_name: \"{_settings.TokenRegistryCollection}\"}} [api-key: ***]",
            $"if absent: qdrant.Collections/Create {{collection_name: \"{_settings.TokenRegistryCollection}\", vectors_config: {{params: {{size: 1, distance: Dot}}}}}} [api-key: ***]",
            $"tenant token (not sent to Qdrant): HS256 JWT {TokenClaims(tenant, "<token-id>").ToJsonString()} signed with the api key *** = ***",
        };
        return new QdrantPlan(steps, async ct =>
        {
            await ProvisionAsync(tenant, ct).ConfigureAwait(false);
            await EnsureTokenRegistryAsync(ct).ConfigureAwait(false);
        });
    }

    /// <summary>Dry-runnable deprovision: describes the calls without connecting.</summary>
    public QdrantPlan PlanDeprovision(TenantId tenant)
    {
        var collection = GuardedName(tenant, CollectionName(tenant));
        var steps = new List<string>
        {
            $"qdrant.Collections/CollectionExists {{collection_name: \"{collection}\"}} [api-key: ***]",
            $"if present: qdrant.Collections/Delete {{collection_name: \"{collection}\"}} [api-key: ***]",
            $"qdrant.Collections/CollectionExists {{collection_name: \"{_settings.TokenRegistryCollection}\"}} [api-key: ***]",
            $"if present: qdrant.Points/Delete {{collection_name: \"{_settings.TokenRegistryCollection}\", wait: true, filter: {{must: [tenant == \"{tenant.Value}\"]}}}} [api-key: ***] (revokes the tenant's tokens)",
        };
        return new QdrantPlan(steps, ct => DeprovisionAsync(tenant, ct));
    }

    // ---- tokens ------------------------------------------------------------------------------

    /// <summary>
    /// A collection-scoped HS256 token: `{"access":[{"collection":"tenant_{id}","access":"rw"}]}` (+ `exp` when
    /// TokenLifetimeDays &gt; 0). Not revocable except by rotating the api key or by `exp`; prefer
    /// <see cref="IssueRevocableTenantTokenAsync"/>.
    /// </summary>
    public string IssueTenantToken(TenantId tenant) => Sign(TokenClaims(tenant, tokenId: null));

    /// <summary>
    /// A collection-scoped token that also carries `value_exists`: Qdrant accepts it only while its point
    /// (token id) exists in the token registry collection, so <see cref="RevokeTokenAsync"/> revokes it at once.
    /// </summary>
    public async Task<QdrantTenantToken> IssueRevocableTenantTokenAsync(TenantId tenant, CancellationToken cancellationToken = default)
    {
        var collection = GuardedName(tenant, CollectionName(tenant));
        await EnsureTokenRegistryAsync(cancellationToken).ConfigureAwait(false);
        var tokenId = Guid.NewGuid();
        var claims = TokenClaims(tenant, tokenId.ToString("D"));
        var point = new PointStruct
        {
            Id = tokenId,
            Vectors = new[] { 1f },
            Payload =
            {
                ["tenant"] = tenant.Value,
                ["token_id"] = tokenId.ToString("D"),
                ["issued_at"] = _time.GetUtcNow().ToString("O"),
            },
        };
        await Call("register tenant token", () => _admin.Value.UpsertAsync(_settings.TokenRegistryCollection, [point], wait: true, cancellationToken: cancellationToken)).ConfigureAwait(false);
        return new QdrantTenantToken(collection, Sign(claims), tokenId.ToString("D"), ExpiresAt());
    }

    /// <summary>Revokes one revocable token by deleting its registry point.</summary>
    public Task RevokeTokenAsync(string tokenId, CancellationToken cancellationToken = default)
    {
        if (!Guid.TryParseExact(tokenId, "D", out var id))
            throw new ArgumentException("token id is not a GUID", nameof(tokenId));
        return Call("revoke tenant token", async () =>
        {
            if (await _admin.Value.CollectionExistsAsync(_settings.TokenRegistryCollection, cancellationToken).ConfigureAwait(false))
                await _admin.Value.DeleteAsync(_settings.TokenRegistryCollection, id, wait: true, cancellationToken: cancellationToken).ConfigureAwait(false);
        });
    }

    /// <summary>Revokes every revocable token issued to the tenant.</summary>
    public Task RevokeTenantTokensAsync(TenantId tenant, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(tenant);
        return Call("revoke tenant tokens", async () =>
        {
            if (await _admin.Value.CollectionExistsAsync(_settings.TokenRegistryCollection, cancellationToken).ConfigureAwait(false))
                await _admin.Value.DeleteAsync(_settings.TokenRegistryCollection, Conditions.MatchKeyword("tenant", tenant.Value), wait: true, cancellationToken: cancellationToken).ConfigureAwait(false);
        });
    }

    // ---- verification ------------------------------------------------------------------------

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

    public void Dispose()
    {
        if (_admin.IsValueCreated)
            _admin.Value.Dispose();
    }

    // ---- internals ---------------------------------------------------------------------------

    internal JsonObject TokenClaims(TenantId tenant, string? tokenId)
    {
        var collection = GuardedName(tenant, CollectionName(tenant));
        var claims = new JsonObject
        {
            ["access"] = new JsonArray(new JsonObject { ["collection"] = collection, ["access"] = "rw" }),
        };
        if (ExpiresAt() is { } exp)
            claims["exp"] = exp.ToUnixTimeSeconds();
        if (tokenId is not null)
        {
            claims["value_exists"] = new JsonObject
            {
                ["collection"] = _settings.TokenRegistryCollection,
                ["matches"] = new JsonArray(
                    new JsonObject { ["key"] = "token_id", ["value"] = tokenId },
                    new JsonObject { ["key"] = "tenant", ["value"] = tenant.Value }),
            };
        }
        return claims;
    }

    private string Sign(JsonObject claims)
    {
        if (claims["access"] is not JsonArray { Count: > 0 })
            throw new InvalidOperationException("refusing to sign a Qdrant token without a collection-scoped access claim");
        return QdrantJwt.Sign(claims.ToJsonString(), _settings.ApiKey);
    }

    private DateTimeOffset? ExpiresAt() =>
        _settings.TokenLifetimeDays > 0 ? _time.GetUtcNow().AddDays(_settings.TokenLifetimeDays) : null;

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

    private static string GuardedName(TenantId tenant, string collection)
    {
        QdrantTenantGuard.Verify(tenant, collection);
        return collection;
    }

    private async Task<bool> EnsureCollectionAsync(string collection, ulong size, Distance distance, CancellationToken ct)
    {
        return await Call($"provision collection {collection}", async () =>
        {
            if (await _admin.Value.CollectionExistsAsync(collection, ct).ConfigureAwait(false))
            {
                var info = await _admin.Value.GetCollectionInfoAsync(collection, ct).ConfigureAwait(false);
                var vectors = info.Config?.Params?.VectorsConfig;
                if (vectors?.ConfigCase != VectorsConfig.ConfigOneofCase.Params || vectors.Params.Size != size || vectors.Params.Distance != distance)
                {
                    var actual = vectors?.ConfigCase == VectorsConfig.ConfigOneofCase.Params
                        ? $"size {vectors.Params.Size}, distance {vectors.Params.Distance}"
                        : "named or missing vector parameters";
                    throw new QdrantStoreException($"Qdrant collection {collection} already exists with {actual}; expected size {size}, distance {distance}. Refusing to reuse it.");
                }
                return false;
            }
            try
            {
                await _admin.Value.CreateCollectionAsync(collection, new VectorParams { Size = size, Distance = distance }, cancellationToken: ct).ConfigureAwait(false);
                return true;
            }
            catch (RpcException e) when (e.StatusCode == StatusCode.AlreadyExists)
            {
                return false; // created concurrently; the next provision verifies its parameters
            }
        }).ConfigureAwait(false);
    }

    private Task EnsureTokenRegistryAsync(CancellationToken ct) =>
        EnsureCollectionAsync(_settings.TokenRegistryCollection, 1, Distance.Dot, ct);

    private static async Task Call(string what, Func<Task> action) =>
        await Call(what, async () => { await action().ConfigureAwait(false); return true; }).ConfigureAwait(false);

    private static async Task<T> Call<T>(string what, Func<Task<T>> action)
    {
        try
        {
            return await action().ConfigureAwait(false);
        }
        catch (RpcException e)
        {
            throw new QdrantStoreException($"Qdrant {what} failed: {e.StatusCode} {e.Status.Detail}", e);
        }
        catch (QdrantException e)
        {
            throw new QdrantStoreException($"Qdrant {what} failed: {e.Message}", e);
        }
    }

    private QdrantClient NewClient(string apiKey) =>
        new(Endpoint, apiKey, TimeSpan.FromSeconds(_settings.TimeoutSeconds));

    private static Distance ParseDistance(string text) =>
        Enum.TryParse<Distance>(text, ignoreCase: true, out var d) && d != Distance.UnknownDistance && Enum.IsDefined(d)
            ? d
            : throw new ArgumentException("Qdrant:Distance must be Cosine, Euclid, Dot or Manhattan");
}
