using Npgsql;
using RunbookHost.Stores;
using RunbookHost.Stores.Postgres;
using RunbookHost.Tests.Support;

namespace RunbookHost.Tests.Stores;

/// <summary>The fleet-wide CONNECT matrix and the live cross-database probe.</summary>
public partial class PostgresTenantStoreTests
{
    [Fact]
    public async Task TheFleetProofCountsEveryCrossTenantPairAndCatchesADeliberateGrant()
    {
        var (a, b, c) = (TestServers.NewTenantId(), TestServers.NewTenantId(), TestServers.NewTenantId());
        var scope = new[] { a, b, c };
        try
        {
            foreach (var t in scope)
                await _store.ProvisionAsync(t, StorePasswords.Generate());

            var clean = await _store.VerifyFleetAsync(scope);
            Assert.Equal(3, clean.Roles);
            Assert.Equal(3, clean.Databases);
            Assert.Equal(6, clean.PairsChecked);
            Assert.Equal(6, clean.PairsDenied);
            Assert.Equal(3, clean.OwnPairs);
            Assert.Empty(clean.OwnConnectMissing);
            Assert.True(clean.Pass);

            await using (var admin = new NpgsqlConnection(TestServers.PostgresAdmin))
            {
                await admin.OpenAsync();
                await using var grant = new NpgsqlCommand(
                    $"GRANT CONNECT ON DATABASE {PgSql.Ident(TenantStoreNames.PostgresDatabase(b))} TO {PgSql.Ident(TenantStoreNames.PostgresRole(a))}", admin);
                await grant.ExecuteNonQueryAsync();
            }

            var leaky = await _store.VerifyFleetAsync(scope);
            Assert.Equal(6, leaky.PairsChecked);
            Assert.Equal(5, leaky.PairsDenied);
            var violation = Assert.Single(leaky.Violations);
            Assert.Equal(new PostgresConnectViolation(TenantStoreNames.PostgresRole(a), TenantStoreNames.PostgresDatabase(b)), violation);
            Assert.False(leaky.Pass);
            Assert.False(leaky.ToCheck().Pass);

            var whole = await _store.VerifyFleetAsync();
            Assert.Contains(violation, whole.Violations);
            Assert.Equal(whole.PairsChecked, whole.PairsDenied + whole.Violations.Count);
        }
        finally
        {
            foreach (var t in scope)
                await _store.DeprovisionAsync(t); // DROP OWNED removes the deliberate grant
        }
        Assert.All(scope, t => Assert.True(_store.GetStateAsync(t).Result.NothingRemains));
    }

    [Fact]
    public async Task TheLiveCheckReportsAllowedWhenAnotherTenantsDatabaseIsReachable()
    {
        var (a, b) = (TestServers.NewTenantId(), TestServers.NewTenantId());
        var pa = StorePasswords.Generate();
        try
        {
            await _store.ProvisionAsync(a, pa);
            await _store.ProvisionAsync(b, StorePasswords.Generate());
            await using (var admin = new NpgsqlConnection(TestServers.PostgresAdmin))
            {
                await admin.OpenAsync();
                await using var grant = new NpgsqlCommand(
                    $"GRANT CONNECT ON DATABASE {PgSql.Ident(TenantStoreNames.PostgresDatabase(b))} TO {PgSql.Ident(TenantStoreNames.PostgresRole(a))}", admin);
                await grant.ExecuteNonQueryAsync();
            }
            var cross = (await _store.VerifyAsync(b, StorePasswords.Generate())).Single(c => c.Test == "own_db_create_table");
            Assert.False(cross.Pass); // wrong password is not ALLOWED

            var checks = await _store.VerifyAsync(a, pa, b);
            var connect = checks.Single(c => c.Test == "cross_db_connect");
            Assert.Equal(CheckResults.Allowed, connect.Result);
            Assert.False(connect.Pass);
        }
        finally
        {
            await _store.DeprovisionAsync(a);
            await _store.DeprovisionAsync(b);
        }
    }
}
