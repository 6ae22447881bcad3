using Npgsql;
using RunbookHost.Stores;
using RunbookHost.Stores.Postgres;
using RunbookHost.Tenants;
using RunbookHost.Tests.Support;

namespace RunbookHost.Tests.Stores;

public class PostgresTenantStoreTests
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

    [Fact]
    public void TheDryRunDescribesEveryStatementWithThePasswordMaskedAndDoesNotConnect()
    {
        var offline = new PostgresTenantStore("Host=unreachable.invalid;Username=nobody;Password=nothing;Database=postgres");
        var tenant = TenantId.Parse("acme");
        var password = StorePasswords.Generate();

        var provision = offline.PlanProvision(tenant, password).Describe();
        var deprovision = offline.PlanDeprovision(tenant).Describe();

        var text = string.Join("\n", provision.Concat(deprovision));
        Assert.Contains("create-database: CREATE DATABASE \"tenant_acme\" TEMPLATE template0", text);
        Assert.Contains("CREATE ROLE \"tenant_acme_user\" LOGIN NOSUPERUSER", text);
        Assert.Contains("PASSWORD '***'", text);
        Assert.Contains("REVOKE ALL ON DATABASE \"tenant_acme\" FROM PUBLIC", text);
        Assert.Contains("GRANT CONNECT, TEMPORARY ON DATABASE \"tenant_acme\" TO \"tenant_acme_user\"", text);
        Assert.Contains("CREATE SCHEMA IF NOT EXISTS \"app\" AUTHORIZATION \"tenant_acme_user\"", text);
        Assert.Contains("ALTER ROLE \"tenant_acme_user\" IN DATABASE \"tenant_acme\" SET search_path = \"app\"", text);
        Assert.Contains("DROP DATABASE IF EXISTS \"tenant_acme\" WITH (FORCE)", text);
        Assert.Contains("DROP ROLE IF EXISTS \"tenant_acme_user\"", text);
        Assert.DoesNotContain(password, text);
        Assert.DoesNotContain("SCRAM-SHA-256$", text);
        Assert.Equal(["create-database", "create-role", "revoke-public", "grant-tenant", "allow-connections", "create-schema"],
            offline.PlanProvision(tenant, password).Steps.Select(s => s.Name));
    }

    [Fact]
    public async Task TheClientSideScramVerifierMatchesWhatTheServerStoresForTheSamePasswordAndSalt()
    {
        var role = "rbh_scram_" + TestServers.NewTenantId().Value;
        var password = StorePasswords.Generate();
        await using var admin = new NpgsqlConnection(TestServers.PostgresAdmin);
        await admin.OpenAsync();
        try
        {
            // Plaintext here on purpose: the server computes its own verifier to compare against.
            await using (var create = new NpgsqlCommand($"CREATE ROLE {PgSql.Ident(role)} LOGIN PASSWORD {PgSql.Literal(password)}", admin))
                await create.ExecuteNonQueryAsync();
            await using var read = new NpgsqlCommand("SELECT rolpassword FROM pg_authid WHERE rolname = $1", admin);
            read.Parameters.AddWithValue(role);
            var stored = (string)(await read.ExecuteScalarAsync())!;

            var parts = stored.Split('$', ':');
            var iterations = int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture);
            var salt = Convert.FromBase64String(parts[2]);
            Assert.Equal(stored, ScramVerifier.Compute(password, iterations, salt));
            Assert.True(ScramVerifier.IsWellFormed(stored));
        }
        finally
        {
            await using var drop = new NpgsqlCommand($"DROP ROLE IF EXISTS {PgSql.Ident(role)}", admin);
            await drop.ExecuteNonQueryAsync();
        }
    }

    [Fact]
    public void IdentifiersAreDoubleQuotedWithEmbeddedQuotesDoubled()
    {
        Assert.Equal("\"tenant_acme\"", PgSql.Ident("tenant_acme"));
        Assert.Equal("\"a\"\"b\"", PgSql.Ident("a\"b"));
        Assert.Equal("'it''s'", PgSql.Literal("it's"));
        Assert.Throws<ArgumentException>(() => PgSql.Literal("a\\b"));
        Assert.Throws<ArgumentException>(() => ScramVerifier.Compute("has space"));
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
