using Npgsql;
using RunbookHost.Configuration;
using RunbookHost.Evidence;
using RunbookHost.Tenants;

namespace RunbookHost.Stores.Postgres;

/// <summary>
/// Per-tenant PostgreSQL isolation: database <c>tenant_{id}</c> (from template0, owned by the admin),
/// login role <c>tenant_{id}_user</c> (SCRAM verifier computed client-side), CONNECT/TEMPORARY revoked
/// from PUBLIC and granted to the tenant role only, schema <c>app</c> owned by the tenant role and
/// set as its search_path in that database. See docs/stores.md.
/// </summary>
public sealed class PostgresTenantStore : IPasswordTenantStore
{
    public const string StoreName = "postgresql";

    private readonly NpgsqlConnectionStringBuilder _admin;
    private readonly string? _tenantHost;

    public PostgresTenantStore(string adminConnectionString, string? tenantHost = null)
    {
        if (string.IsNullOrWhiteSpace(adminConnectionString))
            throw new ArgumentException("PostgreSQL admin connection string is empty (Postgres:AdminConnectionString)", nameof(adminConnectionString));
        _admin = new NpgsqlConnectionStringBuilder(adminConnectionString);
        _tenantHost = string.IsNullOrWhiteSpace(tenantHost) ? null : tenantHost;
    }

    public PostgresTenantStore(PostgresSettings settings) : this(settings.AdminConnectionString, settings.TenantHost)
    {
    }

    // ---------------------------------------------------------------- provision

    /// <summary>
    /// Steps that create or repair the tenant's database, role, grants and schema. Every step is
    /// idempotent: re-running completes a half-done provision and sets the role's password to
    /// <paramref name="password"/>. Building the plan does not connect.
    /// </summary>
    public StorePlan PlanProvision(TenantId tenant, string password)
    {
        var verifier = ScramVerifier.Compute(password);
        if (!ScramVerifier.IsWellFormed(verifier))
            throw new InvalidOperationException("SCRAM verifier has an unexpected shape");

        var db = PgSql.Ident(TenantStoreNames.PostgresDatabase(tenant));
        var role = PgSql.Ident(TenantStoreNames.PostgresRole(tenant));
        var schema = PgSql.Ident(TenantStoreNames.PostgresSchema);
        const string roleAttributes = "LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT NOREPLICATION NOBYPASSRLS";

        string CreateRole(string secret) => $"CREATE ROLE {role} {roleAttributes} PASSWORD {secret}";
        string AlterRole(string secret) => $"ALTER ROLE {role} WITH LOGIN PASSWORD {secret}";
        // Created closed: until PUBLIC's privileges are revoked, any login role (another tenant's included) could
        // connect to a new database. Connections are allowed only once the grants are final.
        var createDb = $"CREATE DATABASE {db} TEMPLATE template0 ALLOW_CONNECTIONS false";
        var allowConnections = $"ALTER DATABASE {db} ALLOW_CONNECTIONS true";
        var revoke = $"REVOKE ALL ON DATABASE {db} FROM PUBLIC";
        var grant = $"GRANT CONNECT, TEMPORARY ON DATABASE {db} TO {role}";
        var createSchema = $"CREATE SCHEMA IF NOT EXISTS {schema} AUTHORIZATION {role}";
        var ownSchema = $"ALTER SCHEMA {schema} OWNER TO {role}";
        var schemaPublic = $"REVOKE ALL ON SCHEMA {schema} FROM PUBLIC";
        var searchPath = $"ALTER ROLE {role} IN DATABASE {db} SET search_path = {schema}";
        const string masked = "'***'";

        var steps = new List<PlanStep>
        {
            new(StoreName, "create-database", $"{createDb}; -- only if absent, outside a transaction",
                async ct =>
                {
                    await using var conn = await OpenAdminAsync(ct).ConfigureAwait(false);
                    if (await DatabaseExistsAsync(conn, tenant, ct).ConfigureAwait(false))
                        return;
                    try
                    {
                        await ExecAsync(conn, createDb, ct).ConfigureAwait(false);
                    }
                    catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.DuplicateDatabase or PostgresErrorCodes.UniqueViolation)
                    {
                        // created concurrently: fine
                    }
                }),
            new(StoreName, "create-role", $"{CreateRole(masked)}; -- if absent, otherwise {AlterRole(masked)}; password sent as a SCRAM-SHA-256 verifier",
                async ct =>
                {
                    await using var conn = await OpenAdminAsync(ct).ConfigureAwait(false);
                    var secret = PgSql.Literal(verifier);
                    if (!await RoleExistsAsync(conn, tenant, ct).ConfigureAwait(false))
                    {
                        try
                        {
                            await ExecAsync(conn, CreateRole(secret), ct).ConfigureAwait(false);
                            return;
                        }
                        catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.DuplicateObject or PostgresErrorCodes.UniqueViolation)
                        {
                            // created concurrently: set the password below
                        }
                    }
                    await ExecAsync(conn, AlterRole(secret), ct).ConfigureAwait(false);
                }),
            new(StoreName, "revoke-public", $"{revoke};",
                async ct =>
                {
                    await using var conn = await OpenAdminAsync(ct).ConfigureAwait(false);
                    await ExecAsync(conn, revoke, ct).ConfigureAwait(false);
                }),
            new(StoreName, "grant-tenant", $"{grant};",
                async ct =>
                {
                    await using var conn = await OpenAdminAsync(ct).ConfigureAwait(false);
                    await ExecAsync(conn, grant, ct).ConfigureAwait(false);
                }),
            new(StoreName, "allow-connections", $"{allowConnections};",
                async ct =>
                {
                    await using var conn = await OpenAdminAsync(ct).ConfigureAwait(false);
                    await ExecAsync(conn, allowConnections, ct).ConfigureAwait(false);
                }),
            new(StoreName, "create-schema", $"-- in database {db}, one transaction: {createSchema}; {ownSchema}; {schemaPublic}; {searchPath};",
                async ct =>
                {
                    await using var session = await UnpooledSession.OpenAsync(AdminConnectionString(TenantStoreNames.PostgresDatabase(tenant)), ct).ConfigureAwait(false);
                    var conn = session.Connection;
                    await EnsureAdminCanActAsAsync(conn, role, ct).ConfigureAwait(false);
                    // One transaction: all four or none, and one commit instead of four.
                    await using var tx = await conn.BeginTransactionAsync(ct).ConfigureAwait(false);
                    await ExecAsync(conn, createSchema, ct).ConfigureAwait(false);
                    await ExecAsync(conn, ownSchema, ct).ConfigureAwait(false);
                    await ExecAsync(conn, schemaPublic, ct).ConfigureAwait(false);
                    await ExecAsync(conn, searchPath, ct).ConfigureAwait(false);
                    await tx.CommitAsync(ct).ConfigureAwait(false);
                }),
        };
        return new StorePlan(StoreName, "provision", tenant, steps);
    }

    public Task ProvisionAsync(TenantId tenant, string password, CancellationToken cancellationToken = default) =>
        PlanProvision(tenant, password).ApplyAsync(cancellationToken);

    // ---------------------------------------------------------------- deprovision

    /// <summary>
    /// Steps that remove the tenant's database (ending its sessions) and role. Idempotent: absent
    /// objects are fine. Building the plan does not connect.
    /// </summary>
    public StorePlan PlanDeprovision(TenantId tenant)
    {
        var db = PgSql.Ident(TenantStoreNames.PostgresDatabase(tenant));
        var role = PgSql.Ident(TenantStoreNames.PostgresRole(tenant));
        var dropDb = $"DROP DATABASE IF EXISTS {db} WITH (FORCE)";
        var dropOwned = $"DROP OWNED BY {role}";
        var dropRole = $"DROP ROLE IF EXISTS {role}";
        var steps = new List<PlanStep>
        {
            new(StoreName, "drop-database", $"{dropDb}; -- outside a transaction",
                async ct =>
                {
                    await using var conn = await OpenAdminAsync(ct).ConfigureAwait(false);
                    await ExecAsync(conn, dropDb, ct).ConfigureAwait(false);
                }),
            new(StoreName, "drop-role", $"{dropOwned}; {dropRole}; -- DROP OWNED only if the role exists (removes grants it holds elsewhere)",
                async ct =>
                {
                    await using var conn = await OpenAdminAsync(ct).ConfigureAwait(false);
                    if (!await RoleExistsAsync(conn, tenant, ct).ConfigureAwait(false))
                        return;
                    await EnsureAdminCanActAsAsync(conn, role, ct).ConfigureAwait(false);
                    await ExecAsync(conn, dropOwned, ct).ConfigureAwait(false);
                    await ExecAsync(conn, dropRole, ct).ConfigureAwait(false);
                }),
        };
        return new StorePlan(StoreName, "deprovision", tenant, steps);
    }

    /// <summary>Terminates every backend logged in as the tenant role. Building the plan does not connect.</summary>
    public StorePlan PlanEndSessions(TenantId tenant)
    {
        var roleName = TenantStoreNames.PostgresRole(tenant);
        const string terminate = "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE usename = $1 AND pid <> pg_backend_pid()";
        var steps = new List<PlanStep>
        {
            new(StoreName, "terminate-sessions", terminate.Replace("$1", PgSql.Literal(roleName), StringComparison.Ordinal),
                async ct =>
                {
                    await using var conn = await OpenAdminAsync(ct).ConfigureAwait(false);
                    await using var cmd = new NpgsqlCommand(terminate, conn);
                    cmd.Parameters.AddWithValue(roleName);
                    await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false);
                }),
        };
        return new StorePlan(StoreName, "end-sessions", tenant, steps);
    }

    public Task DeprovisionAsync(TenantId tenant, CancellationToken cancellationToken = default) =>
        PlanDeprovision(tenant).ApplyAsync(cancellationToken);

    // ---------------------------------------------------------------- state

    /// <summary>What exists for the tenant now (admin catalog view).</summary>
    public async Task<PostgresTenantState> GetStateAsync(TenantId tenant, CancellationToken cancellationToken = default)
    {
        await using var conn = await OpenAdminAsync(cancellationToken).ConfigureAwait(false);
        var dbExists = await DatabaseExistsAsync(conn, tenant, cancellationToken).ConfigureAwait(false);
        var roleExists = await RoleExistsAsync(conn, tenant, cancellationToken).ConfigureAwait(false);
        return new PostgresTenantState(dbExists, roleExists);
    }

    // ---------------------------------------------------------------- verification

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
                checks.Add(new CheckRecord(StoreName, "cross_db_connect", CheckResults.Skipped, DateTimeOffset.UtcNow, true, "no other tenant database exists"));
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
                ? Checks.Expect(StoreName, test, CheckResults.Allowed, CheckResults.Allowed, $"created a table in schema {schema} (rolled back)")
                : Checks.Expect(StoreName, test, CheckResults.Allowed, CheckResults.Fail, $"table landed in schema {schema}, expected {TenantStoreNames.PostgresSchema}");
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException)
        {
            return Checks.Expect(StoreName, test, CheckResults.Allowed, Classify(e), Describe(e));
        }
    }

    private async Task<CheckRecord> CheckConnectDeniedAsync(TenantId tenant, string password, string database, CancellationToken ct)
    {
        const string test = "cross_db_connect";
        try
        {
            await using var session = await UnpooledSession.OpenAsync(TenantConnectionString(tenant, password, database), ct).ConfigureAwait(false);
            return Checks.Expect(StoreName, test, CheckResults.Denied, CheckResults.Allowed, $"connected to {database}");
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException)
        {
            return Checks.Expect(StoreName, test, CheckResults.Denied, Classify(e), $"{database}: {Describe(e)}");
        }
    }

    private static async Task<CheckRecord> CheckPublicRevokedAsync(NpgsqlConnection admin, TenantId tenant, CancellationToken ct)
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
            null or DBNull => Checks.Expect(StoreName, test, CheckResults.Pass, CheckResults.Fail, "database does not exist"),
            true => Checks.Expect(StoreName, test, CheckResults.Pass, CheckResults.Fail, "PUBLIC holds a privilege on the tenant database"),
            _ => Checks.Expect(StoreName, test, CheckResults.Pass, CheckResults.Pass, "no PUBLIC privilege on the tenant database"),
        };
    }

    private static async Task<CheckRecord> CheckRoleAttributesAsync(NpgsqlConnection admin, TenantId tenant, CancellationToken ct)
    {
        const string test = "role_attributes";
        const string sql = """
            SELECT r.rolsuper, r.rolcreatedb, r.rolcreaterole, r.rolreplication, r.rolbypassrls,
                   (SELECT count(*) FROM pg_auth_members m WHERE m.member = r.oid)
            FROM pg_roles r WHERE r.rolname = $1
            """;
        await using var cmd = new NpgsqlCommand(sql, admin);
        cmd.Parameters.AddWithValue(TenantStoreNames.PostgresRole(tenant));
        await using var reader = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        if (!await reader.ReadAsync(ct).ConfigureAwait(false))
            return Checks.Expect(StoreName, test, CheckResults.Pass, CheckResults.Fail, "role does not exist");
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
            ? Checks.Expect(StoreName, test, CheckResults.Pass, CheckResults.Pass, "plain login role, member of no role")
            : Checks.Expect(StoreName, test, CheckResults.Pass, CheckResults.Fail, string.Join(", ", problems));
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

    internal const string TenantDatabasePattern = "^tenant_[a-z][a-z0-9]{2,31}$";
    internal const string TenantRolePattern = "^tenant_[a-z][a-z0-9]{2,31}_user$";

    /// <summary>
    /// Fleet-wide proof in one catalog query: for every tenant role × every tenant database,
    /// has_database_privilege(role, db, 'CONNECT'). Cross-tenant pairs must all be denied; each
    /// tenant's own pair should be allowed. <paramref name="onlyTenants"/> limits both sides (tests, partial fleets).
    /// </summary>
    public async Task<PostgresFleetReport> VerifyFleetAsync(IReadOnlyCollection<TenantId>? onlyTenants = null,
        CancellationToken cancellationToken = default)
    {
        const string sql = """
            SELECT r.rolname, d.datname, has_database_privilege(r.oid, d.oid, 'CONNECT')
            FROM pg_roles r CROSS JOIN pg_database d
            WHERE r.rolname ~ $1 AND d.datname ~ $2
              AND ($3::text[] IS NULL OR (r.rolname = ANY($3) AND d.datname = ANY($4)))
            """;
        await using var conn = await OpenAdminAsync(cancellationToken).ConfigureAwait(false);
        await using var cmd = new NpgsqlCommand(sql, conn);
        cmd.Parameters.AddWithValue(TenantRolePattern);
        cmd.Parameters.AddWithValue(TenantDatabasePattern);
        cmd.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Text,
            Value = onlyTenants is null ? DBNull.Value : onlyTenants.Select(TenantStoreNames.PostgresRole).ToArray() });
        cmd.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Text,
            Value = onlyTenants is null ? DBNull.Value : onlyTenants.Select(TenantStoreNames.PostgresDatabase).ToArray() });

        var roles = new HashSet<string>(StringComparer.Ordinal);
        var databases = new HashSet<string>(StringComparer.Ordinal);
        var violations = new List<PostgresConnectViolation>();
        var ownMissing = new List<string>();
        int checkedPairs = 0, denied = 0, ownPairs = 0;
        await using (var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                if (reader.IsDBNull(2))
                    continue; // the database or role was dropped while the query ran
                var role = reader.GetString(0);
                var db = reader.GetString(1);
                var canConnect = reader.GetBoolean(2);
                roles.Add(role);
                databases.Add(db);
                var roleTenant = TenantStoreNames.TenantOfUser(role);
                var dbTenant = TenantStoreNames.TenantOfPostgresDatabase(db);
                if (roleTenant is not null && roleTenant == dbTenant)
                {
                    ownPairs++;
                    if (!canConnect)
                        ownMissing.Add(role);
                    continue;
                }
                checkedPairs++;
                if (canConnect)
                    violations.Add(new PostgresConnectViolation(role, db));
                else
                    denied++;
            }
        }
        // Informational: other databases tenant roles may CONNECT to (postgres, template1, … unless revoked or blocked by pg_hba).
        const string others = """
            SELECT d.datname, count(*) FROM pg_roles r CROSS JOIN pg_database d
            WHERE r.rolname ~ $1 AND d.datname !~ $2 AND d.datallowconn
              AND ($3::text[] IS NULL OR r.rolname = ANY($3))
              AND has_database_privilege(r.oid, d.oid, 'CONNECT')
            GROUP BY d.datname ORDER BY d.datname
            """;
        var reachable = new SortedDictionary<string, int>(StringComparer.Ordinal);
        cmd.CommandText = others;
        cmd.Parameters.RemoveAt(3);
        await using (var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                reachable[reader.GetString(0)] = (int)reader.GetInt64(1);
        }
        return new PostgresFleetReport(roles.Count, databases.Count, checkedPairs, denied, ownPairs, violations, ownMissing, reachable);
    }

    // ---------------------------------------------------------------- plumbing

    /// <summary>The admin connection string, pointed at <paramref name="database"/>; open it with <see cref="UnpooledSession"/>
    /// so that no pooled session lingers in a tenant database (it would block DROP DATABASE without FORCE).</summary>
    internal string AdminConnectionString(string database) =>
        new NpgsqlConnectionStringBuilder(_admin.ConnectionString) { Database = database }.ConnectionString;

    internal string TenantConnectionString(TenantId tenant, string password, string database)
    {
        var b = new NpgsqlConnectionStringBuilder(_admin.ConnectionString)
        {
            Username = TenantStoreNames.PostgresRole(tenant),
            Password = password,
            Database = database,
            Pooling = false,
            Passfile = null,
            Timeout = 10,
        };
        if (_tenantHost is not null)
            b.Host = _tenantHost;
        return b.ConnectionString;
    }

    /// <summary>A pooled admin session in the admin connection string's own database (one pool for the process).</summary>
    private Task<NpgsqlConnection> OpenAdminAsync(CancellationToken ct) => AdminDataSources.OpenAsync(_admin.ConnectionString, ct);

    private static async Task ExecAsync(NpgsqlConnection conn, string sql, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(sql, conn);
        await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    private static async Task<bool> DatabaseExistsAsync(NpgsqlConnection conn, TenantId tenant, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", conn);
        cmd.Parameters.AddWithValue(TenantStoreNames.PostgresDatabase(tenant));
        return (bool)(await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false))!;
    }

    private static async Task<bool> RoleExistsAsync(NpgsqlConnection conn, TenantId tenant, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1)", conn);
        cmd.Parameters.AddWithValue(TenantStoreNames.PostgresRole(tenant));
        return (bool)(await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false))!;
    }

    /// <summary>
    /// A non-superuser admin (CREATEROLE) must be a member of the tenant role to give it a schema or
    /// drop what it owns (PostgreSQL 15). A superuser needs nothing.
    /// </summary>
    private static async Task EnsureAdminCanActAsAsync(NpgsqlConnection conn, string quotedRole, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("SELECT rolsuper FROM pg_roles WHERE rolname = current_user", conn);
        if ((bool)(await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false))!)
            return;
        await ExecAsync(conn, $"GRANT {quotedRole} TO CURRENT_USER", ct).ConfigureAwait(false);
    }

    /// <summary>DENIED for "no privilege" answers (42501 permission denied, 28000 no pg_hba entry); ERROR otherwise.</summary>
    internal static string Classify(Exception e) => e is PostgresException pg && pg.SqlState is PostgresErrorCodes.InsufficientPrivilege or PostgresErrorCodes.InvalidAuthorizationSpecification
        ? CheckResults.Denied
        : CheckResults.Error;

    private static string Describe(Exception e) => e is PostgresException pg ? $"{pg.SqlState} {pg.MessageText}" : e.GetType().Name + ": " + e.Message;
}

/// <summary>Whether the tenant's database and role exist.</summary>
public sealed record PostgresTenantState(bool DatabaseExists, bool RoleExists)
{
    public bool NothingRemains => !DatabaseExists && !RoleExists;
}

/// <summary>A tenant role that can CONNECT to another tenant's database.</summary>
public sealed record PostgresConnectViolation(string Role, string Database);

/// <summary>
/// Fleet-wide CONNECT matrix. PairsChecked counts cross-tenant (role, database) pairs; PairsDenied of those
/// must equal PairsChecked. OwnPairs counts each tenant's own pair; OwnConnectMissing lists roles that cannot reach their own database.
/// NonTenantDatabasesReachable (informational, not a failure) maps other databases to how many tenant roles hold CONNECT on them.
/// </summary>
public sealed record PostgresFleetReport(
    int Roles,
    int Databases,
    int PairsChecked,
    int PairsDenied,
    int OwnPairs,
    IReadOnlyList<PostgresConnectViolation> Violations,
    IReadOnlyList<string> OwnConnectMissing,
    IReadOnlyDictionary<string, int> NonTenantDatabasesReachable)
{
    public bool Pass => Violations.Count == 0 && PairsDenied == PairsChecked;

    public CheckRecord ToCheck() => new(PostgresTenantStore.StoreName, "fleet_cross_db_connect", Pass ? CheckResults.Pass : CheckResults.Fail,
        DateTimeOffset.UtcNow, Pass,
        $"{Roles} tenant roles x {Databases} tenant databases: {PairsChecked} cross-tenant pairs checked, {PairsDenied} denied"
        + (Violations.Count == 0 ? "" : "; violations: " + string.Join(", ", Violations.Select(v => $"{v.Role}->{v.Database}")))
        + (NonTenantDatabasesReachable.Count == 0 ? "" : "; note: tenant roles may CONNECT to non-tenant databases "
            + string.Join(", ", NonTenantDatabasesReachable.Select(p => $"{p.Key} ({p.Value} roles)")) + " (revoke CONNECT FROM PUBLIC or restrict in pg_hba.conf)"));
}
