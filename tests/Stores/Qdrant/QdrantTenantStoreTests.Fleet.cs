using System.Text.Json.Nodes;
using Qdrant.Client;
using RunbookHost.Stores.Qdrant;
using RunbookHost.Tenants;

namespace RunbookHost.Tests.Stores.Qdrant;

/// <summary>The fleet-wide audit of tenant tokens and what an issued token carries.</summary>
public sealed partial class QdrantTenantStoreTests
{
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
