using Npgsql;
using RunbookHost.Stores;
using RunbookHost.Stores.Postgres;
using RunbookHost.Tenants;
using RunbookHost.Tests.Support;

namespace RunbookHost.Tests.Stores;

public partial class PostgresTenantStoreTests
{
    private readonly PostgresTenantStore _store = new(TestServers.PostgresAdmin);

    [Fact]
    public async Task TwoProvisionedTenantsEachUseTheirOwnDatabaseAndCannotConnectToTheOther()
    {
        var (a, b) = (TestServers.NewTenantId(), TestServers.NewTenantId());
        var (pa, pb) = (StorePasswords.Generate(), StorePasswords.Generate());
        try
        {
            await _store.ProvisionAsync(a, pa);
            await _store.ProvisionAsync(b, pb);

            var checksA = await _store.VerifyAsync(a, pa, b);
            var checksB = await _store.VerifyAsync(b, pb, a);

            foreach (var check in checksA.Concat(checksB))
                Assert.True(check.Pass, $"{check.Test}: {check.Result} {check.Detail}");
            Assert.Equal(CheckResults.Allowed, checksA.Single(c => c.Test == "own_db_create_table").Result);
            Assert.Equal(CheckResults.Denied, checksA.Single(c => c.Test == "cross_db_connect").Result);
            Assert.Equal(CheckResults.Denied, checksB.Single(c => c.Test == "cross_db_connect").Result);
            Assert.Equal(CheckResults.Pass, checksA.Single(c => c.Test == "public_connect_revoked").Result);
            Assert.Equal(CheckResults.Pass, checksA.Single(c => c.Test == "role_attributes").Result);
        }
        finally
        {
            await _store.DeprovisionAsync(a);
            await _store.DeprovisionAsync(b);
        }
    }

    [Fact]
    public async Task DeprovisioningOneTenantLeavesNothingOfItAndTheOtherStillVerifies()
    {
        var (a, b) = (TestServers.NewTenantId(), TestServers.NewTenantId());
        var (pa, pb) = (StorePasswords.Generate(), StorePasswords.Generate());
        try
        {
            await _store.ProvisionAsync(a, pa);
            await _store.ProvisionAsync(b, pb);

            // An open tenant session must not block the drop (WITH (FORCE)).
            await using var session = new NpgsqlConnection(_store.TenantConnectionString(a, pa, TenantStoreNames.PostgresDatabase(a)));
            await session.OpenAsync();

            await _store.DeprovisionAsync(a);
            await _store.DeprovisionAsync(a); // idempotent

            var state = await _store.GetStateAsync(a);
            Assert.True(state.NothingRemains, $"database exists: {state.DatabaseExists}, role exists: {state.RoleExists}");
            foreach (var check in await _store.VerifyAsync(b, pb))
                Assert.True(check.Pass, $"{check.Test}: {check.Result} {check.Detail}");
        }
        finally
        {
            await _store.DeprovisionAsync(a);
            await _store.DeprovisionAsync(b);
        }
    }

    [Fact]
    public async Task ProvisioningTwiceInARowSucceedsAndTheSecondPasswordReplacesTheFirst()
    {
        var a = TestServers.NewTenantId();
        var (first, second) = (StorePasswords.Generate(), StorePasswords.Generate());
        try
        {
            await _store.ProvisionAsync(a, first);
            await _store.ProvisionAsync(a, second);

            var withSecond = await _store.VerifyAsync(a, second);
            Assert.All(withSecond, c => Assert.True(c.Pass, $"{c.Test}: {c.Result} {c.Detail}"));
            var withFirst = await _store.VerifyAsync(a, first);
            var own = withFirst.Single(c => c.Test == "own_db_create_table");
            Assert.False(own.Pass);
            Assert.Contains("28P01", own.Detail);
        }
        finally
        {
            await _store.DeprovisionAsync(a);
        }
    }

    [Fact]
    public async Task ProvisioningAfterACrashHalfwayCompletesTheTenant()
    {
        var a = TestServers.NewTenantId();
        var password = StorePasswords.Generate();
        try
        {
            var plan = _store.PlanProvision(a, password);
            await plan.Steps[0].ApplyAsync(); // database only
            await plan.Steps[1].ApplyAsync(); // role, then "crash" before grants and schema

            await _store.ProvisionAsync(a, password);

            Assert.All(await _store.VerifyAsync(a, password), c => Assert.True(c.Pass, $"{c.Test}: {c.Result} {c.Detail}"));
        }
        finally
        {
            await _store.DeprovisionAsync(a);
        }
    }

    [Fact]
    public async Task LoggingInAsTenantsLeavesNeitherTheirPasswordsNorADataSourcePerTenantInTheProcess()
    {
        var (a, b) = (TestServers.NewTenantId(), TestServers.NewTenantId());
        var (pa, pb) = (StorePasswords.Generate(), StorePasswords.Generate());
        try
        {
            await _store.ProvisionAsync(a, pa);
            await _store.ProvisionAsync(b, pb);
            foreach (var check in (await _store.VerifyAsync(a, pa, b)).Concat(await _store.VerifyAsync(b, pb, a)))
                Assert.True(check.Pass, $"{check.Test}: {check.Result} {check.Detail}");

            // A scheduler verifies every tenant every night and never exits: one retained data source per tenant
            // login would grow without bound and keep every tenant's password in memory.
            await using (var reference = new NpgsqlConnection(TestServers.PostgresAdmin))
                await reference.OpenAsync(); // one entry the table must show, so that it was really read
            var retained = NpgsqlPoolTable.ConnectionStrings();
            Assert.NotEmpty(retained);
            Assert.DoesNotContain(retained, cs => cs.Contains(pa, StringComparison.Ordinal) || cs.Contains(pb, StringComparison.Ordinal));
            Assert.DoesNotContain(retained, cs => cs.Contains(TenantStoreNames.PostgresRole(a), StringComparison.Ordinal)
                || cs.Contains(TenantStoreNames.PostgresDatabase(a), StringComparison.Ordinal));
        }
        finally
        {
            await _store.DeprovisionAsync(a);
            await _store.DeprovisionAsync(b);
        }
    }
    [Fact]
    public async Task ANewTenantDatabaseAdmitsNoOtherTenantAtAnyPointOfItsProvisioning()
    {
        var (a, b) = (TestServers.NewTenantId(), TestServers.NewTenantId());
        var (pa, pb) = (StorePasswords.Generate(), StorePasswords.Generate());
        try
        {
            await _store.ProvisionAsync(b, pb);
            var plan = _store.PlanProvision(a, pa);
            // Between CREATE DATABASE and the revoke, PostgreSQL's default grants CONNECT to PUBLIC: tenant b
            // must not get in through that window, after any step of a's plan (a crash may stop it anywhere).
            foreach (var step in plan.Steps)
            {
                await step.ApplyAsync();
                var intrusion = await TryConnectAsync(b, pb, TenantStoreNames.PostgresDatabase(a));
                Assert.True(intrusion is not null, $"after {step.Name}: tenant b connected to tenant a's database");
            }
            Assert.All(await _store.VerifyAsync(a, pa, b), c => Assert.True(c.Pass, $"{c.Test}: {c.Result} {c.Detail}"));
        }
        finally
        {
            await _store.DeprovisionAsync(a);
            await _store.DeprovisionAsync(b);
        }
    }

    /// <summary>Null when the login succeeded, otherwise the server's refusal.</summary>
    private async Task<string?> TryConnectAsync(TenantId tenant, string password, string database)
    {
        try
        {
            await using var connection = new NpgsqlConnection(_store.TenantConnectionString(tenant, password, database));
            await connection.OpenAsync();
            return null;
        }
        catch (PostgresException refused)
        {
            return refused.SqlState;
        }
    }
}
