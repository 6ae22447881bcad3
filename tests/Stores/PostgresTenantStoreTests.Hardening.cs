using Npgsql;
using RunbookHost.Stores;
using RunbookHost.Stores.Postgres;
using RunbookHost.Tests.Support;

namespace RunbookHost.Tests.Stores;

/// <summary>
/// The opt-in hardening, on a scratch database standing in for postgres/template1: the real ones are server-wide
/// state other tests (and other work on this server) rely on, so they are only read, never changed.
/// </summary>
public partial class PostgresTenantStoreTests
{
    [Fact]
    public async Task RevokingPublicConnectShutsTenantRolesOutOfASystemDatabaseAndTheCheckSaysSo()
    {
        var tenant = TestServers.NewTenantId();
        var password = StorePasswords.Generate();
        var scratch = TestServers.NewDatabaseName("rbh_sysdb");
        await using var admin = new NpgsqlConnection(TestServers.PostgresAdmin);
        await admin.OpenAsync();
        await using (var create = new NpgsqlCommand($"CREATE DATABASE {PgSql.Ident(scratch)}", admin))
            await create.ExecuteNonQueryAsync();
        try
        {
            await _store.ProvisionAsync(tenant, password);
            Assert.True((await _store.PublicConnectAsync([scratch]))[scratch]);
            Assert.False((await _store.VerifyPublicConnectRevokedAsync([scratch])).Pass);
            Assert.Null(await TryConnectAsync(tenant, password, scratch)); // PUBLIC's default CONNECT lets the tenant in

            await _store.RevokePublicConnectAsync([scratch]);
            await _store.RevokePublicConnectAsync([scratch]); // idempotent

            Assert.False((await _store.PublicConnectAsync([scratch]))[scratch]);
            var check = await _store.VerifyPublicConnectRevokedAsync([scratch]);
            Assert.True(check.Pass, check.Detail);
            Assert.Equal(PostgresTenantStore.SystemDatabasesTest, check.Test);
            Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, await TryConnectAsync(tenant, password, scratch));
            Assert.Contains(PostgresTenantStore.DescribeRevokePublicConnect(), l => l.StartsWith("REVOKE CONNECT ON DATABASE \"postgres\" FROM PUBLIC", StringComparison.Ordinal));
        }
        finally
        {
            await _store.DeprovisionAsync(tenant);
            await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS {PgSql.Ident(scratch)} WITH (FORCE)", admin);
            await drop.ExecuteNonQueryAsync();
        }
    }

    [Fact]
    public async Task OnlyPlainDatabaseNamesAreEverPutIntoTheStatements() =>
        await Assert.ThrowsAsync<ArgumentException>(() => _store.RevokePublicConnectAsync(["postgres\"; DROP ROLE x; --"]));
}
