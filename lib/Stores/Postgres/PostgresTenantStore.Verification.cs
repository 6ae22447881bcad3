using Npgsql;
using RunbookHost.Evidence;
using RunbookHost.Tenants;

namespace RunbookHost.Stores.Postgres;

/// <summary>Per-tenant verification (spec §3.3): live probes as the tenant with its password, and admin-catalog checks.</summary>
public sealed partial class PostgresTenantStore
{
    /// <summary>
    /// Live checks as the tenant (with its password) plus admin-catalog checks:
    /// own_db_create_table ALLOWED, cross_db_connect DENIED (against <paramref name="otherTenant"/>, or any
    /// other tenant database, SKIPPED when there is none), public_connect_revoked PASS, role_attributes PASS.
    /// </summary>
    public async Task<IReadOnlyList<CheckRecord>> VerifyAsync(TenantId tenant, string password, TenantId? otherTenant = null,
        CancellationToken cancellationToken = default)
    {
        var checks = new List<CheckRecord>();
        checks.Add(await CheckOwnDatabaseAsync(tenant, password, cancellationToken).ConfigureAwait(false));

        await using var admin = await OpenAdminAsync(cancellationToken).ConfigureAwait(false);
        var otherDb = otherTenant is not null
            ? TenantStoreNames.PostgresDatabase(otherTenant)
            : await PickOtherTenantDatabaseAsync(admin, tenant, cancellationToken).ConfigureAwait(false);
        // A database picked at random may be dropped (another tenant deprovisioned) between the pick and the
        // probe: that proves nothing either way, so pick again rather than report an error.
        for (var attempt = 1; ; attempt++)
        {
            if (otherDb is null)
            {
                checks.Add(new CheckRecord(StoreName, "cross_db_connect", CheckResults.Skipped, _time.GetUtcNow(), true, "no other tenant database exists"));
                break;
            }
            var probe = await CheckConnectDeniedAsync(tenant, password, otherDb, cancellationToken).ConfigureAwait(false);
            if (probe.Pass || otherTenant is not null || attempt == 3 || await DatabaseExistsAsync(admin, otherDb, cancellationToken).ConfigureAwait(false))
            {
                checks.Add(probe);
                break;
            }
            otherDb = await PickOtherTenantDatabaseAsync(admin, tenant, cancellationToken).ConfigureAwait(false);
        }

        checks.Add(await CheckPublicRevokedAsync(admin, tenant, cancellationToken).ConfigureAwait(false));
        checks.Add(await CheckRoleAttributesAsync(admin, tenant, cancellationToken).ConfigureAwait(false));
        checks.Add(await VerifyMembershipsAsync(tenant, cancellationToken).ConfigureAwait(false));
        return checks;
    }

    private async Task<CheckRecord> CheckOwnDatabaseAsync(TenantId tenant, string password, CancellationToken ct)
    {
        const string test = "own_db_create_table";
        var table = "runbook_host_probe_" + StorePasswords.Generate(16).ToLowerInvariant().Replace('-', 'x').Replace('_', 'x');
        try
        {
            await using var session = await UnpooledSession.OpenAsync(TenantConnectionString(tenant, password, TenantStoreNames.PostgresDatabase(tenant)), ct).ConfigureAwait(false);
            var conn = session.Connection;
            // The privilege check happens at CREATE TABLE; rolling back instead of DROP TABLE proves the same without
            // two commits, and a probe cut short (crash, timeout) can never leave a table behind in the tenant's data.
            await using var probe = await conn.BeginTransactionAsync(ct).ConfigureAwait(false);
            await ExecAsync(conn, $"CREATE TABLE {PgSql.Ident(table)} (id int)", ct).ConfigureAwait(false);
            string? schema;
            await using (var cmd = new NpgsqlCommand("SELECT n.nspname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relname = $1", conn))
            {
                cmd.Parameters.AddWithValue(table);
                schema = (string?)await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false);
            }
            await probe.RollbackAsync(ct).ConfigureAwait(false);
            return schema == TenantStoreNames.PostgresSchema
                ? Expect(test, CheckResults.Allowed, CheckResults.Allowed, $"created a table in schema {schema} (rolled back)")
                : Expect(test, CheckResults.Allowed, CheckResults.Fail, $"table landed in schema {schema}, expected {TenantStoreNames.PostgresSchema}");
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException)
        {
            return Expect(test, CheckResults.Allowed, Classify(e), Describe(e));
        }
    }

    private async Task<CheckRecord> CheckConnectDeniedAsync(TenantId tenant, string password, string database, CancellationToken ct)
    {
        const string test = "cross_db_connect";
        try
        {
            await using var session = await UnpooledSession.OpenAsync(TenantConnectionString(tenant, password, database), ct).ConfigureAwait(false);
            return Expect(test, CheckResults.Denied, CheckResults.Allowed, $"connected to {database}");
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException)
        {
            return Expect(test, CheckResults.Denied, Classify(e), $"{database}: {Describe(e)}");
        }
    }

    private async Task<CheckRecord> CheckPublicRevokedAsync(NpgsqlConnection admin, TenantId tenant, CancellationToken ct)
    {
        const string test = "public_connect_revoked";
        // datacl NULL means the built-in default, which grants CONNECT and TEMPORARY to PUBLIC.
        const string sql = """
            SELECT d.datacl IS NULL
                   OR EXISTS (SELECT 1 FROM aclexplode(d.datacl) a WHERE a.grantee = 0 AND a.privilege_type IN ('CONNECT', 'TEMPORARY', 'CREATE'))
            FROM pg_database d WHERE d.datname = $1
            """;
        await using var cmd = new NpgsqlCommand(sql, admin);
        cmd.Parameters.AddWithValue(TenantStoreNames.PostgresDatabase(tenant));
        var result = await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false);
        return result switch
        {
            null or DBNull => Expect(test, CheckResults.Pass, CheckResults.Fail, "database does not exist"),
            true => Expect(test, CheckResults.Pass, CheckResults.Fail, "PUBLIC holds a privilege on the tenant database"),
            _ => Expect(test, CheckResults.Pass, CheckResults.Pass, "no PUBLIC privilege on the tenant database"),
        };
    }

    private async Task<CheckRecord> CheckRoleAttributesAsync(NpgsqlConnection admin, TenantId tenant, CancellationToken ct)
    {
        const string test = "role_attributes";
        const string sql = """
            SELECT r.rolsuper, r.rolcreatedb, r.rolcreaterole, r.rolreplication, r.rolbypassrls,
                   (SELECT count(*) FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid WHERE m.member = r.oid AND g.rolname !~ $2)
            FROM pg_roles r WHERE r.rolname = $1
            """;
        await using var cmd = new NpgsqlCommand(sql, admin);
        cmd.Parameters.AddWithValue(TenantStoreNames.PostgresRole(tenant));
        cmd.Parameters.AddWithValue(TenantRolePattern); // memberships in tenant roles have their own check
        await using var reader = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        if (!await reader.ReadAsync(ct).ConfigureAwait(false))
            return Expect(test, CheckResults.Pass, CheckResults.Fail, "role does not exist");
        var problems = new List<string>();
        string[] names = ["SUPERUSER", "CREATEDB", "CREATEROLE", "REPLICATION", "BYPASSRLS"];
        for (var i = 0; i < names.Length; i++)
        {
            if (reader.GetBoolean(i))
                problems.Add(names[i]);
        }
        if (reader.GetInt64(5) > 0)
            problems.Add("member of other roles");
        return problems.Count == 0
            ? Expect(test, CheckResults.Pass, CheckResults.Pass, "plain login role, member of no other role")
            : Expect(test, CheckResults.Pass, CheckResults.Fail, string.Join(", ", problems));
    }

    private static async Task<string?> PickOtherTenantDatabaseAsync(NpgsqlConnection admin, TenantId tenant, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(
            "SELECT datname FROM pg_database WHERE datname ~ $1 AND datname <> $2 AND datallowconn ORDER BY random() LIMIT 1", admin);
        cmd.Parameters.AddWithValue(TenantDatabasePattern);
        cmd.Parameters.AddWithValue(TenantStoreNames.PostgresDatabase(tenant));
        return (string?)await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false);
    }

    private static async Task<bool> DatabaseExistsAsync(NpgsqlConnection admin, string database, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", admin);
        cmd.Parameters.AddWithValue(database);
        return (bool)(await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false))!;
    }
}
