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
public sealed partial class PostgresTenantStore : IPasswordTenantStore
{
    public const string StoreName = "postgresql";

    private readonly NpgsqlConnectionStringBuilder _admin;
    private readonly string? _tenantHost;
    private readonly TimeProvider _time;

    public PostgresTenantStore(string adminConnectionString, string? tenantHost = null, TimeProvider? time = null)
    {
        if (string.IsNullOrWhiteSpace(adminConnectionString))
            throw new ArgumentException("PostgreSQL admin connection string is empty (Postgres:AdminConnectionString)", nameof(adminConnectionString));
        _admin = new NpgsqlConnectionStringBuilder(adminConnectionString);
        _tenantHost = string.IsNullOrWhiteSpace(tenantHost) ? null : tenantHost;
        _time = time ?? TimeProvider.System;
    }

    public PostgresTenantStore(PostgresSettings settings, TimeProvider? time = null) : this(settings.AdminConnectionString, settings.TenantHost, time)
    {
        HardenSystemDatabases = settings.HardenSystemDatabases;
    }

    /// <summary>The deployment's choice (<see cref="PostgresSettings.HardenSystemDatabases"/>): revoke CONNECT on postgres and template1 from PUBLIC.</summary>
    public bool HardenSystemDatabases { get; init; }

    private CheckRecord Expect(string test, string expected, string actual, string? detail = null) =>
        Checks.Expect(_time.GetUtcNow(), StoreName, test, expected, actual, detail);

    /// <summary>What exists for the tenant now (admin catalog view).</summary>
    public async Task<PostgresTenantState> GetStateAsync(TenantId tenant, CancellationToken cancellationToken = default)
    {
        await using var conn = await OpenAdminAsync(cancellationToken).ConfigureAwait(false);
        var dbExists = await DatabaseExistsAsync(conn, tenant, cancellationToken).ConfigureAwait(false);
        var roleExists = await RoleExistsAsync(conn, tenant, cancellationToken).ConfigureAwait(false);
        return new PostgresTenantState(dbExists, roleExists);
    }

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
