using Grpc.Core;
using RunbookHost.Stores.Qdrant;

namespace RunbookHost.Tests.Stores.Qdrant;

/// <summary>What the server makes of a token: foreign keys, changed payloads, plain values, expiry, revocation.</summary>
public sealed partial class QdrantTenantStoreTests
{
    [Fact]
    public async Task A_token_signed_with_another_key_is_refused()
    {
        var (store, a, b) = await TwoTenantsAsync();
        try
        {
            using var forger = fx.NewStore(s => s.ApiKey = "not-the-server-key");
            using var client = store.CreateTenantClient(forger.IssueTenantToken(a));
            var e = await Refused(() => client.QueryAsync(QdrantTenantGuard.CollectionName(a), query: Vector(768), limit: 1, cancellationToken: Ct));
            Assert.Equal(StatusCode.PermissionDenied, e.StatusCode);
        }
        finally { await CleanupAsync(store, a, b); }
    }

    [Fact]
    public async Task A_token_whose_payload_was_changed_to_name_another_collection_is_refused()
    {
        var (store, a, b) = await TwoTenantsAsync();
        try
        {
            var parts = store.IssueTenantToken(a).Split('.');
            var forgedPayload = QdrantJwt.Base64Url(System.Text.Encoding.UTF8.GetBytes($$"""{"access":[{"collection":"tenant_{{b.Value}}","access":"rw"}]}"""));
            using var client = store.CreateTenantClient($"{parts[0]}.{forgedPayload}.{parts[2]}");
            var e = await Refused(() => client.QueryAsync(QdrantTenantGuard.CollectionName(b), query: Vector(768), limit: 1, cancellationToken: Ct));
            Assert.Equal(StatusCode.PermissionDenied, e.StatusCode);
        }
        finally { await CleanupAsync(store, a, b); }
    }

    [Fact]
    public async Task A_value_that_is_neither_the_api_key_nor_a_jwt_is_unauthenticated()
    {
        var (store, a, b) = await TwoTenantsAsync();
        try
        {
            using var client = store.CreateTenantClient("wrong-api-key");
            var e = await Refused(() => client.QueryAsync(QdrantTenantGuard.CollectionName(a), query: Vector(768), limit: 1, cancellationToken: Ct));
            Assert.Equal(StatusCode.Unauthenticated, e.StatusCode);
        }
        finally { await CleanupAsync(store, a, b); }
    }

    [Fact]
    public async Task An_expired_token_is_refused()
    {
        var (store, a, b) = await TwoTenantsAsync();
        try
        {
            // Issued three days ago with a one-day lifetime: exp is two days past, far beyond Qdrant's 30 s leeway.
            using var past = fx.NewStore(s => s.TokenLifetimeDays = 1, new FixedTime(DateTimeOffset.UtcNow.AddDays(-3)));
            var token = past.IssueTenantToken(a);
            Assert.NotNull(QdrantJwt.DecodePayloadUnverified(token)["exp"]);
            using var client = store.CreateTenantClient(token);
            var e = await Refused(() => client.QueryAsync(QdrantTenantGuard.CollectionName(a), query: Vector(768), limit: 1, cancellationToken: Ct));
            Assert.Equal(StatusCode.PermissionDenied, e.StatusCode);

            using var current = fx.NewStore(s => s.TokenLifetimeDays = 1);
            using var fresh = store.CreateTenantClient(current.IssueTenantToken(a));
            await fresh.QueryAsync(QdrantTenantGuard.CollectionName(a), query: Vector(768), limit: 1, cancellationToken: Ct);
        }
        finally { await CleanupAsync(store, a, b); }
    }

    [Fact]
    public async Task Revoking_a_revocable_token_makes_the_server_refuse_it_at_once()
    {
        var (store, a, b) = await TwoTenantsAsync();
        try
        {
            var first = await store.IssueRevocableTenantTokenAsync(a, Ct);
            var second = await store.IssueRevocableTenantTokenAsync(a, Ct);
            Assert.DoesNotContain(first.Token, first.ToString());
            using var c1 = store.CreateTenantClient(first.Token);
            using var c2 = store.CreateTenantClient(second.Token);
            var own = QdrantTenantGuard.CollectionName(a);
            await c1.UpsertAsync(own, [Point(768)], wait: true, cancellationToken: Ct);

            await store.RevokeTokenAsync(first.TokenId!, Ct);
            Assert.Equal(StatusCode.Unauthenticated, (await Refused(() => c1.QueryAsync(own, query: Vector(768), limit: 1, cancellationToken: Ct))).StatusCode);
            await c2.QueryAsync(own, query: Vector(768), limit: 1, cancellationToken: Ct); // the other token still works

            await store.RevokeTenantTokensAsync(a, Ct);
            Assert.Equal(StatusCode.Unauthenticated, (await Refused(() => c2.QueryAsync(own, query: Vector(768), limit: 1, cancellationToken: Ct))).StatusCode);
        }
        finally { await CleanupAsync(store, a, b); }
    }
}
