using Npgsql;
using RunbookHost.Stores;
using RunbookHost.Stores.Postgres;
using RunbookHost.Tenants;
using RunbookHost.Tests.Support;

namespace RunbookHost.Tests.Stores;

/// <summary>What the product sends: the dry run's statements, the client-side SCRAM verifier, quoted identifiers.</summary>
public partial class PostgresTenantStoreTests
{
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
}
