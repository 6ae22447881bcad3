using System.Text.Json.Nodes;
using Grpc.Core;
using Qdrant.Client;
using Qdrant.Client.Grpc;
using RunbookHost.Stores.Qdrant;
using RunbookHost.Tenants;

namespace RunbookHost.Tests.Stores.Qdrant;

/// <summary>Runs against the stand-in, or a real Qdrant when RUNBOOKHOST_Qdrant__Endpoint is set.</summary>
public sealed class QdrantTenantStoreTests(QdrantFixture fx) : IClassFixture<QdrantFixture>
{
    private static readonly CancellationToken Ct = CancellationToken.None;

    private async Task<(QdrantTenantStore Store, TenantId A, TenantId B)> TwoTenantsAsync()
    {
        var store = fx.NewStore();
        var a = QdrantFixture.RandomTenant();
        var b = QdrantFixture.RandomTenant();
        await store.ProvisionAsync(a, Ct);
        await store.ProvisionAsync(b, Ct);
        return (store, a, b);
    }

    private static async Task CleanupAsync(QdrantTenantStore store, params TenantId[] tenants)
    {
        foreach (var t in tenants)
            await store.DeprovisionAsync(t, Ct);
        store.Dispose();
    }

    private static float[] Vector(int size, float value = 0.5f) => Enumerable.Repeat(value, size).ToArray();

    private static PointStruct Point(int size) => new() { Id = Guid.NewGuid(), Vectors = Vector(size), Payload = { ["doc"] = "x" } };

    private static async Task<RpcException> Refused(Func<Task> attempt) => await Assert.ThrowsAsync<RpcException>(attempt);

    [Fact]
    public async Task Each_tenant_token_can_upsert_and_query_its_own_collection()
    {
        var (store, a, b) = await TwoTenantsAsync();
        try
        {
            foreach (var t in new[] { a, b })
            {
                using var client = store.CreateTenantClient(store.IssueTenantToken(t));
                var point = Point(768);
                await client.UpsertAsync(QdrantTenantGuard.CollectionName(t), [point], wait: true, cancellationToken: Ct);
                var hits = await client.QueryAsync(QdrantTenantGuard.CollectionName(t), query: Vector(768), limit: 5, cancellationToken: Ct);
                Assert.Contains(hits, h => h.Id.Equals(point.Id));
            }
        }
        finally { await CleanupAsync(store, a, b); }
    }

    [Fact]
    public async Task A_tenant_token_is_denied_on_the_other_tenant_collection_in_both_directions()
    {
        var (store, a, b) = await TwoTenantsAsync();
        try
        {
            foreach (var (self, other) in new[] { (a, b), (b, a) })
            {
                using var client = store.CreateTenantClient(store.IssueTenantToken(self));
                var foreign = QdrantTenantGuard.CollectionName(other);
                Assert.Equal(StatusCode.PermissionDenied, (await Refused(() => client.UpsertAsync(foreign, [Point(768)], wait: true, cancellationToken: Ct))).StatusCode);
                Assert.Equal(StatusCode.PermissionDenied, (await Refused(() => client.QueryAsync(foreign, query: Vector(768), limit: 1, cancellationToken: Ct))).StatusCode);
                Assert.Equal(StatusCode.PermissionDenied, (await Refused(() => client.GetCollectionInfoAsync(foreign, Ct))).StatusCode);
            }
        }
        finally { await CleanupAsync(store, a, b); }
    }

    [Fact]
    public async Task A_tenant_token_cannot_create_or_delete_collections()
    {
        var (store, a, b) = await TwoTenantsAsync();
        try
        {
            using var client = store.CreateTenantClient(store.IssueTenantToken(a));
            Assert.Equal(StatusCode.PermissionDenied, (await Refused(() => client.DeleteCollectionAsync(QdrantTenantGuard.CollectionName(a), cancellationToken: Ct))).StatusCode);
            Assert.Equal(StatusCode.PermissionDenied, (await Refused(() => client.DeleteCollectionAsync(QdrantTenantGuard.CollectionName(b), cancellationToken: Ct))).StatusCode);
            Assert.Equal(StatusCode.PermissionDenied, (await Refused(() => client.CreateCollectionAsync("tenant_" + QdrantFixture.RandomTenant().Value, new VectorParams { Size = 4, Distance = Distance.Cosine }, cancellationToken: Ct))).StatusCode);
            Assert.True(await store.CollectionExistsAsync(a, Ct));
            Assert.True(await store.CollectionExistsAsync(b, Ct));
        }
        finally { await CleanupAsync(store, a, b); }
    }

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

    [Fact]
    public async Task The_store_refuses_to_reach_a_collection_through_a_name_the_guard_rejects()
    {
        var (store, a, b) = await TwoTenantsAsync();
        try
        {
            var token = store.IssueTenantToken(a);
            var checks = await store.VerifyTenantAsync(a, token, [b], Ct);
            var guard = Assert.Single(checks, c => c.Test == "guard_wrong_collection");
            Assert.Equal("DENIED", guard.Result);
            Assert.True(guard.Pass);
            Assert.Throws<QdrantTenantAccessException>(() => QdrantTenantGuard.Verify(a, QdrantTenantGuard.CollectionName(b)));
        }
        finally { await CleanupAsync(store, a, b); }
    }

    [Fact]
    public async Task Verification_reports_own_access_allowed_and_every_cross_tenant_probe_denied()
    {
        var (store, a, b) = await TwoTenantsAsync();
        try
        {
            var checks = await store.VerifyTenantAsync(a, store.IssueTenantToken(a), [b], Ct);
            Assert.All(checks, c => Assert.True(c.Pass, $"{c.Test}: {c.Result} {c.Detail}"));
            Assert.All(checks, c => Assert.Equal("qdrant", c.Store));
            Assert.Equal("ALLOWED", Assert.Single(checks, c => c.Test == "own_collection_upsert_query").Result);
            Assert.Equal("DENIED", Assert.Single(checks, c => c.Test == "cross_tenant_query").Result);
            Assert.Equal("DENIED", Assert.Single(checks, c => c.Test == "cross_tenant_upsert").Result);

            var alone = await store.VerifyTenantAsync(b, store.IssueTenantToken(b), cancellationToken: Ct);
            Assert.All(alone, c => Assert.True(c.Pass, $"{c.Test}: {c.Result} {c.Detail}"));
        }
        finally { await CleanupAsync(store, a, b); }
    }

    [Fact]
    public async Task Verification_with_a_token_of_another_tenant_fails()
    {
        var (store, a, b) = await TwoTenantsAsync();
        try
        {
            var checks = await store.VerifyTenantAsync(a, store.IssueTenantToken(b), [b], Ct);
            Assert.Contains(checks, c => c.Test == "own_collection_upsert_query" && !c.Pass);
            Assert.Contains(checks, c => c.Test.StartsWith("cross_tenant", StringComparison.Ordinal) && c.Result == "ALLOWED" && !c.Pass);
        }
        finally { await CleanupAsync(store, a, b); }
    }

    [Fact]
    public async Task Provisioning_again_is_idempotent()
    {
        var (store, a, b) = await TwoTenantsAsync();
        try
        {
            var again = await store.ProvisionAsync(a, Ct);
            Assert.False(again.Created);
            Assert.Equal(QdrantTenantGuard.CollectionName(a), again.Collection);
            Assert.True(await store.CollectionExistsAsync(a, Ct));
        }
        finally { await CleanupAsync(store, a, b); }
    }

    [Fact]
    public async Task Provisioning_over_a_collection_with_other_vector_parameters_fails_clearly()
    {
        var (store, a, b) = await TwoTenantsAsync();
        try
        {
            using var other = fx.NewStore(s => s.VectorSize = 4);
            var e = await Assert.ThrowsAsync<QdrantStoreException>(() => other.ProvisionAsync(a, Ct));
            Assert.Contains("already exists with size 768", e.Message);
            Assert.Contains("expected size 4", e.Message);
            Assert.DoesNotContain(fx.ApiKey, e.Message);
        }
        finally { await CleanupAsync(store, a, b); }
    }

    [Fact]
    public async Task Deprovisioning_one_tenant_leaves_nothing_while_the_other_still_verifies()
    {
        var (store, a, b) = await TwoTenantsAsync();
        try
        {
            var revocable = await store.IssueRevocableTenantTokenAsync(a, Ct);
            await store.DeprovisionAsync(a, Ct);
            Assert.False(await store.CollectionExistsAsync(a, Ct));
            await store.DeprovisionAsync(a, Ct); // absent is fine

            using var admin = new QdrantClient(new Uri(fx.Endpoint), fx.ApiKey);
            var names = await admin.ListCollectionsAsync(Ct);
            Assert.DoesNotContain(QdrantTenantGuard.CollectionName(a), names);
            using var client = store.CreateTenantClient(revocable.Token);
            Assert.Equal(StatusCode.Unauthenticated, (await Refused(() => client.QueryAsync(QdrantTenantGuard.CollectionName(a), query: Vector(768), limit: 1, cancellationToken: Ct))).StatusCode);

            var checks = await store.VerifyTenantAsync(b, store.IssueTenantToken(b), [a], Ct);
            Assert.All(checks, c => Assert.True(c.Pass, $"{c.Test}: {c.Result} {c.Detail}"));
        }
        finally { await CleanupAsync(store, a, b); }
    }

    [Fact]
    public async Task A_tenant_token_lists_only_its_own_collection_or_is_refused()
    {
        var (store, a, b) = await TwoTenantsAsync();
        try
        {
            using var client = store.CreateTenantClient(store.IssueTenantToken(a));
            try
            {
                var names = await client.ListCollectionsAsync(Ct);
                Assert.DoesNotContain(QdrantTenantGuard.CollectionName(b), names);
            }
            catch (RpcException e) when (e.StatusCode == StatusCode.PermissionDenied)
            {
                // also acceptable: the server refuses the listing outright
            }
        }
        finally { await CleanupAsync(store, a, b); }
    }

    [Fact]
    public async Task A_dry_run_plan_describes_the_calls_without_connecting_and_applies_them()
    {
        var a = QdrantFixture.RandomTenant();
        using (var offline = fx.NewStore(s => s.Endpoint = "http://127.0.0.1:1"))
        {
            var steps = offline.PlanProvision(a).Describe().Concat(offline.PlanDeprovision(a).Describe()).ToList();
            Assert.Contains(steps, s => s.StartsWith("if absent: qdrant.Collections/Create", StringComparison.Ordinal) && s.Contains($"\"tenant_{a.Value}\"") && s.Contains("size: 768, distance: Cosine"));
            Assert.Contains(steps, s => s.StartsWith("if present: qdrant.Collections/Delete", StringComparison.Ordinal) && s.Contains($"\"tenant_{a.Value}\""));
            Assert.Contains(steps, s => s.Contains("\"access\":[{\"collection\":\"tenant_" + a.Value + "\",\"access\":\"rw\"}]"));
            Assert.All(steps, s => Assert.DoesNotContain(fx.ApiKey, s));
            Assert.All(steps, s => Assert.DoesNotContain("eyJ", s));
        }

        using var store = fx.NewStore();
        await store.PlanProvision(a).ApplyAsync(Ct);
        Assert.True(await store.CollectionExistsAsync(a, Ct));
        await store.PlanDeprovision(a).ApplyAsync(Ct);
        Assert.False(await store.CollectionExistsAsync(a, Ct));
    }

    [Fact]
    public void The_fleet_proof_checks_every_pair_and_finds_each_denied()
    {
        using var store = fx.NewStore();
        var tenants = Enumerable.Range(0, 4).Select(_ => QdrantFixture.RandomTenant()).ToList();
        var checks = store.VerifyFleetTokens(tenants.ToDictionary(t => t, store.IssueTenantToken));
        Assert.Equal(4, checks.Count(c => c.Test == "token_scope" && c.Result == "PASS" && c.Pass));
        var pairs = Assert.Single(checks, c => c.Test == "fleet_cross_tenant_pairs");
        Assert.True(pairs.Pass);
        Assert.Equal("DENIED", pairs.Result);
        Assert.Equal("12 pairs checked, 12 denied", pairs.Detail);
    }

    [Fact]
    public void The_fleet_proof_flags_a_token_that_reaches_another_tenant_or_lacks_an_access_claim()
    {
        using var store = fx.NewStore();
        TenantId a = QdrantFixture.RandomTenant(), b = QdrantFixture.RandomTenant(), c = QdrantFixture.RandomTenant(), d = QdrantFixture.RandomTenant();
        var wide = QdrantJwt.Sign($$"""{"access":[{"collection":"tenant_{{b.Value}}","access":"rw"},{"collection":"tenant_{{c.Value}}","access":"r"}]}""", fx.ApiKey);
        var unscoped = QdrantJwt.Sign("""{"sub":"x"}""", fx.ApiKey);
        var forged = QdrantJwt.Sign($$"""{"access":[{"collection":"tenant_{{d.Value}}","access":"rw"}]}""", "other-key");
        var checks = store.VerifyFleetTokens(new Dictionary<TenantId, string> { [a] = store.IssueTenantToken(a), [b] = wide, [c] = unscoped, [d] = forged });
        Assert.True(checks.Single(x => x.Detail!.StartsWith(a.Value + ":", StringComparison.Ordinal)).Pass);
        Assert.False(checks.Single(x => x.Detail!.StartsWith(b.Value + ":", StringComparison.Ordinal)).Pass);
        Assert.Contains("no access claim", checks.Single(x => x.Detail!.StartsWith(c.Value + ":", StringComparison.Ordinal)).Detail);
        Assert.Contains("signature", checks.Single(x => x.Detail!.StartsWith(d.Value + ":", StringComparison.Ordinal)).Detail);
        var pairs = checks.Single(x => x.Test == "fleet_cross_tenant_pairs");
        Assert.False(pairs.Pass);
        Assert.StartsWith("12 pairs checked, 8 denied", pairs.Detail);
        Assert.Contains($"{b.Value}->{c.Value}", pairs.Detail);
    }

    [Fact]
    public void An_issued_token_carries_only_a_collection_scoped_access_claim_and_exp_when_configured()
    {
        var now = DateTimeOffset.FromUnixTimeSeconds(1_800_000_000);
        var a = QdrantFixture.RandomTenant();
        using var plain = fx.NewStore(time: new FixedTime(now));
        var claims = QdrantJwt.DecodePayloadUnverified(plain.IssueTenantToken(a));
        Assert.Equal($$"""{"access":[{"collection":"tenant_{{a.Value}}","access":"rw"}]}""", claims.ToJsonString());

        using var expiring = fx.NewStore(s => s.TokenLifetimeDays = 7, new FixedTime(now));
        var withExp = QdrantJwt.DecodePayloadUnverified(expiring.IssueTenantToken(a));
        Assert.Equal(now.AddDays(7).ToUnixTimeSeconds(), withExp["exp"]!.GetValue<long>());
        Assert.True(QdrantJwt.TryVerify(expiring.IssueTenantToken(a), fx.ApiKey, now, TimeSpan.Zero, out var verified, out _));
        Assert.IsType<JsonArray>(verified["access"]);
    }
}
