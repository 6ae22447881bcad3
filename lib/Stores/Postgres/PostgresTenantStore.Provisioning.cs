using Npgsql;
using RunbookHost.Tenants;

namespace RunbookHost.Stores.Postgres;

/// <summary>Provision, deprovision and session-ending plans (spec §3.1, §3.4): idempotent steps, described without connecting.</summary>
public sealed partial class PostgresTenantStore
{
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
            new(StoreName, "revoke-tenant-memberships",
                $"REVOKE <tenant role> FROM {role}; REVOKE {role} FROM <tenant role>; -- for every membership between {role} and another tenant role (pg_auth_members)",
                async ct =>
                {
                    await using var conn = await OpenAdminAsync(ct).ConfigureAwait(false);
                    await RevokeTenantMembershipsAsync(conn, tenant, ct).ConfigureAwait(false);
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
}
