using Grpc.Core;
using Qdrant.Client;
using Qdrant.Client.Grpc;
using RunbookHost.Stores.Qdrant;
using RunbookHost.Tenants;

namespace RunbookHost.Tests.Stores.Qdrant;

/// <summary>Runs against the stand-in, or a real Qdrant when RUNBOOKHOST_Qdrant__Endpoint is set.</summary>
public sealed partial class QdrantTenantStoreTests(QdrantFixture fx) : IClassFixture<QdrantFixture>
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
}
