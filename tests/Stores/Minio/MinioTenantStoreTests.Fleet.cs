using RunbookHost.Stores.Minio;

namespace RunbookHost.Tests.Stores.Minio;

/// <summary>The fleet-wide proof over every tenant user's attached policies.</summary>
public sealed partial class MinioTenantStoreTests
{
    [Fact]
    public async Task The_fleet_proof_counts_every_cross_pair_denied_and_catches_a_broad_policy()
    {
        using var store = target.NewStore();
        var (a, _) = await ProvisionAsync(store);
        var (b, _) = await ProvisionAsync(store);
        var (c, _) = await ProvisionAsync(store);
        try
        {
            var report = await store.VerifyFleetAsync(Ct);
            Assert.True(report.Pass, string.Join("; ", report.Problems));
            Assert.True(report.TenantUsers >= 3);
            Assert.True(report.PairsChecked >= 6);
            Assert.Equal(report.PairsChecked, report.PairsDenied);
            Assert.Equal("PASS", report.Check.Result);

            // Replace c's policy with one that allows every bucket: the proof must fail and name c.
            await store.Admin.AddCannedPolicyAsync(MinioTenantNames.For(c).Policy,
                """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:*"],"Resource":["arn:aws:s3:::*"]}]}""", Ct);
            var broken = await store.VerifyFleetAsync(Ct);
            Assert.False(broken.Pass);
            Assert.Equal("FAIL", broken.Check.Result);
            Assert.Contains(broken.Problems, p => p.StartsWith(MinioTenantNames.For(c).User, StringComparison.Ordinal));
            Assert.True(broken.PairsDenied < broken.PairsChecked);
        }
        finally
        {
            await store.DeprovisionAsync(a, Ct);
            await store.DeprovisionAsync(b, Ct);
            await store.DeprovisionAsync(c, Ct);
        }
    }
}
