using Npgsql;
using RunbookHost.Stores;
using RunbookHost.Stores.Postgres;
using RunbookHost.Tests.Support;

namespace RunbookHost.Tests.Stores;

/// <summary>
/// A membership between two tenant roles lets one act as the other. Up to PostgreSQL 14 a tenant could create one
/// with its own credentials (role self-administration); 15 removed that, so here the attempt is refused and the
/// membership is made the way an admin mistake or an older server would leave it. verify and deprovision see to it.
/// </summary>
public partial class PostgresTenantStoreTests
{
    [Fact]
    public async Task ATenantGrantingItsRoleToAnotherTenantFailsTheMembershipCheckOfBothAndDeprovisionRevokesIt()
    {
        var (a, b) = (TestServers.NewTenantId(), TestServers.NewTenantId());
        var (pa, pb) = (StorePasswords.Generate(), StorePasswords.Generate());
        var (roleA, roleB) = (TenantStoreNames.PostgresRole(a), TenantStoreNames.PostgresRole(b));
        try
        {
            await _store.ProvisionAsync(a, pa);
            await _store.ProvisionAsync(b, pb);
            Assert.True((await _store.VerifyMembershipsAsync(a)).Pass);

            var grant = $"GRANT {PgSql.Ident(roleA)} TO {PgSql.Ident(roleB)}";
            // First as tenant a, logged in with its own password to its own database.
            await using (var asA = new NpgsqlConnection(_store.TenantConnectionString(a, pa, TenantStoreNames.PostgresDatabase(a))))
            {
                await asA.OpenAsync();
                await using var selfGrant = new NpgsqlCommand(grant, asA);
                if (asA.PostgreSqlVersion.Major >= 15)
                    Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, (await Assert.ThrowsAsync<PostgresException>(() => selfGrant.ExecuteNonQueryAsync())).SqlState);
                else
                    await selfGrant.ExecuteNonQueryAsync();
            }
            await using (var admin = new NpgsqlConnection(TestServers.PostgresAdmin))
            {
                await admin.OpenAsync();
                if (admin.PostgreSqlVersion.Major >= 15)
                {
                    await using var adminGrant = new NpgsqlCommand(grant, admin);
                    await adminGrant.ExecuteNonQueryAsync();
                }
            }

            foreach (var (tenant, password, other) in new[] { (a, pa, b), (b, pb, a) })
            {
                var checks = await _store.VerifyAsync(tenant, password, other);
                var membership = checks.Single(c => c.Test == PostgresTenantStore.MembershipsTest);
                Assert.False(membership.Pass);
                Assert.Equal(CheckResults.Fail, membership.Result);
                Assert.Contains($"{roleB} is a member of {roleA}", membership.Detail);
                // The finding has its own name; role_attributes no longer reports it as a confusing "member of other roles".
                Assert.True(checks.Single(c => c.Test == "role_attributes").Pass);
            }

            Assert.Contains(_store.PlanDeprovision(a).Steps, s => s.Name == "revoke-tenant-memberships");
            await _store.DeprovisionAsync(a);
            Assert.Empty(await _store.GetTenantMembershipsAsync(b));
            Assert.True((await _store.VerifyMembershipsAsync(b)).Pass);
        }
        finally
        {
            await _store.DeprovisionAsync(a);
            await _store.DeprovisionAsync(b);
        }
    }

    [Fact]
    public async Task DeprovisionRevokesTheMembershipBeforeDroppingTheRole()
    {
        var (a, b) = (TestServers.NewTenantId(), TestServers.NewTenantId());
        var (pa, pb) = (StorePasswords.Generate(), StorePasswords.Generate());
        try
        {
            await _store.ProvisionAsync(a, pa);
            await _store.ProvisionAsync(b, pb);
            await using (var admin = new NpgsqlConnection(TestServers.PostgresAdmin))
            {
                await admin.OpenAsync();
                await using var grant = new NpgsqlCommand($"GRANT {PgSql.Ident(TenantStoreNames.PostgresRole(b))} TO {PgSql.Ident(TenantStoreNames.PostgresRole(a))}", admin);
                await grant.ExecuteNonQueryAsync();
            }
            var plan = _store.PlanDeprovision(a);
            foreach (var step in plan.Steps.TakeWhile(s => s.Name != "drop-role"))
                await step.ApplyAsync();
            Assert.Empty(await _store.GetTenantMembershipsAsync(b));
            Assert.True((await _store.GetStateAsync(a)).RoleExists);
        }
        finally
        {
            await _store.DeprovisionAsync(a);
            await _store.DeprovisionAsync(b);
        }
    }
}
