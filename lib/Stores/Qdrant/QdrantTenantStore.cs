using Grpc.Core;
using Qdrant.Client;
using Qdrant.Client.Grpc;
using RunbookHost.Tenants;

namespace RunbookHost.Stores.Qdrant;

/// <summary>
/// A tenant's Qdrant collection `tenant_{id}` and its collection-scoped JWT (Qdrant ≥ 1.9 with
/// `service.jwt_rbac: true`). Collection management uses the admin api key; tenants get tokens with
/// `{"access":[{"collection":"tenant_{id}","access":"rw"}]}` signed with that key.
/// </summary>
public sealed partial class QdrantTenantStore : IDisposable
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

    public void Dispose()
    {
        if (_admin.IsValueCreated)
            _admin.Value.Dispose();
    }

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
