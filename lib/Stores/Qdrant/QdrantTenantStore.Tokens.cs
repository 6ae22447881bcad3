using System.Text.Json.Nodes;
using Qdrant.Client.Grpc;
using RunbookHost.Tenants;

namespace RunbookHost.Stores.Qdrant;

/// <summary>Collection-scoped tenant tokens (HS256 JWTs signed with the api key), revocable through the token registry collection.</summary>
public sealed partial class QdrantTenantStore
{
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
}
