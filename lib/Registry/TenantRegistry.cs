using System.Text.Json;
using Npgsql;
using NpgsqlTypes;
using RunbookHost.Configuration;
using RunbookHost.Stores.Postgres;
using RunbookHost.Tenants;

namespace RunbookHost.Registry;

/// <summary>
/// The control-plane registry: a PostgreSQL database (RegistrySettings.Database on the admin server)
/// holding tenants, their key history, audit events and runbook runs. Call <see cref="EnsureSchemaAsync"/>
/// once at start; it creates the database if absent and applies pending migrations (safe to run concurrently).
/// </summary>
public sealed partial class TenantRegistry
{
    private readonly string _adminConnectionString;

    public TenantRegistry(string adminConnectionString, string database = "runbook_host")
    {
        if (string.IsNullOrWhiteSpace(adminConnectionString))
            throw new ArgumentException("PostgreSQL admin connection string is empty (Postgres:AdminConnectionString)", nameof(adminConnectionString));
        if (!System.Text.RegularExpressions.Regex.IsMatch(database, "\\A[a-z_][a-z0-9_]{0,62}\\z"))
            throw new ArgumentException("registry database name must be 1-63 characters of a-z, 0-9 and _, not starting with a digit", nameof(database));
        _adminConnectionString = adminConnectionString;
        Database = database;
        ConnectionString = new NpgsqlConnectionStringBuilder(adminConnectionString) { Database = database }.ConnectionString;
    }

    public TenantRegistry(PostgresSettings postgres, RegistrySettings registry) : this(postgres.AdminConnectionString, registry.Database)
    {
    }

    /// <summary>Name of the registry database.</summary>
    public string Database { get; }

    /// <summary>Connection string of the registry database (admin credentials): also where tenant locks live.</summary>
    internal string ConnectionString { get; }

    // ---------------------------------------------------------------- schema

    /// <summary>
    /// Creates the registry database if absent (from template0, PUBLIC's CONNECT/TEMPORARY revoked) and applies
    /// pending migrations, each in its own transaction under a transaction-level advisory lock, recorded in
    /// schema_migrations. Returns the versions this call applied (empty when up to date).
    /// </summary>
    public async Task<IReadOnlyList<int>> EnsureSchemaAsync(CancellationToken cancellationToken = default)
    {
        // Every run of every process starts here: when the database already holds every migration this host knows
        // (the usual case), one query proves it and none of the per-migration transactions below is needed.
        if (await IsUpToDateAsync(cancellationToken).ConfigureAwait(false))
            return [];
        await EnsureDatabaseAsync(cancellationToken).ConfigureAwait(false);
        await using var conn = await OpenAsync(cancellationToken).ConfigureAwait(false);

        await using (var tx = await conn.BeginTransactionAsync(cancellationToken).ConfigureAwait(false))
        {
            await LockMigrationsAsync(conn, tx, cancellationToken).ConfigureAwait(false);
            await using var create = new NpgsqlCommand("""
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    version    integer PRIMARY KEY,
                    name       text NOT NULL,
                    applied_at timestamptz NOT NULL DEFAULT now()
                )
                """, conn, tx);
            await create.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
        }

        var applied = new List<int>();
        foreach (var migration in RegistryMigrations.All)
        {
            await using var tx = await conn.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            await LockMigrationsAsync(conn, tx, cancellationToken).ConfigureAwait(false);
            await using (var check = new NpgsqlCommand("SELECT EXISTS (SELECT 1 FROM schema_migrations WHERE version = $1)", conn, tx))
            {
                check.Parameters.AddWithValue(migration.Version);
                if ((bool)(await check.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!)
                    continue;
            }
            await using (var apply = new NpgsqlCommand(migration.Sql, conn, tx))
                await apply.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            await using (var record = new NpgsqlCommand("INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", conn, tx))
            {
                record.Parameters.AddWithValue(migration.Version);
                record.Parameters.AddWithValue(migration.Name);
                await record.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
            await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
            applied.Add(migration.Version);
        }
        return applied;
    }

    /// <summary>
    /// True when schema_migrations records every migration of <see cref="RegistryMigrations.All"/> (one round trip on
    /// the pooled registry connection a run uses next anyway); false when the database or the table does not exist yet.
    /// Migrations are only ever added, never changed in place, so a recorded version is an applied one.
    /// </summary>
    private async Task<bool> IsUpToDateAsync(CancellationToken ct)
    {
        try
        {
            await using var conn = await OpenAsync(ct).ConfigureAwait(false);
            // The versions are this host's own constants, written as literals: an int[] parameter would make Npgsql
            // JIT-compile its array handling (~100 methods) in every run just for this check.
            var known = RegistryMigrations.All.Select(m => m.Version.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToList();
            await using var cmd = new NpgsqlCommand($"SELECT count(*) FROM schema_migrations WHERE version IN ({string.Join(", ", known)})", conn);
            return (long)(await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false))! == known.Count;
        }
        catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.InvalidCatalogName or PostgresErrorCodes.UndefinedTable)
        {
            return false; // a new registry: the migrations below create it
        }
    }

    /// <summary>Versions recorded in schema_migrations, ascending.</summary>
    public async Task<IReadOnlyList<int>> GetAppliedMigrationsAsync(CancellationToken cancellationToken = default)
    {
        await using var conn = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var cmd = new NpgsqlCommand("SELECT version FROM schema_migrations ORDER BY version", conn);
        var versions = new List<int>();
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            versions.Add(reader.GetInt32(0));
        return versions;
    }

    private static async Task LockMigrationsAsync(NpgsqlConnection conn, NpgsqlTransaction tx, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("SELECT pg_advisory_xact_lock($1)", conn, tx);
        cmd.Parameters.AddWithValue(AdvisoryLockKey.Migrations);
        await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    private async Task EnsureDatabaseAsync(CancellationToken ct)
    {
        var admin = new NpgsqlConnectionStringBuilder(_adminConnectionString);
        if (string.Equals(admin.Database, Database, StringComparison.Ordinal))
            return;
        await using var conn = await AdminDataSources.OpenAsync(_adminConnectionString, ct).ConfigureAwait(false);
        await using (var exists = new NpgsqlCommand("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", conn))
        {
            exists.Parameters.AddWithValue(Database);
            if ((bool)(await exists.ExecuteScalarAsync(ct).ConfigureAwait(false))!)
                return;
        }
        try
        {
            await using var create = new NpgsqlCommand($"CREATE DATABASE {PgSql.Ident(Database)} TEMPLATE template0", conn);
            await create.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }
        catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.DuplicateDatabase or PostgresErrorCodes.UniqueViolation)
        {
            return; // another applier created it
        }
        // Tenant roles must not reach the control plane.
        await using var revoke = new NpgsqlCommand($"REVOKE ALL ON DATABASE {PgSql.Ident(Database)} FROM PUBLIC", conn);
        await revoke.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    // ---------------------------------------------------------------- locks

    /// <summary>Tenant lock in the registry database (all hosts sharing the registry serialize on it); null on timeout.</summary>
    public Task<TenantLock?> TryAcquireTenantLockAsync(TenantId tenant, TimeSpan timeout, CancellationToken cancellationToken = default) =>
        TenantLock.TryAcquireAsync(ConnectionString, tenant, timeout, cancellationToken);

    /// <summary>Tenant lock; throws <see cref="TenantLockUnavailableException"/> ("another run holds tenant acme") on timeout.</summary>
    public Task<TenantLock> AcquireTenantLockAsync(TenantId tenant, TimeSpan timeout, CancellationToken cancellationToken = default) =>
        TenantLock.AcquireAsync(ConnectionString, tenant, timeout, cancellationToken);

    // ---------------------------------------------------------------- plumbing

    private const string TenantColumns =
        "tenant_id, status, tenant_octet, age_public_key, key_version, key_rotated_at, key_rotation_due_at, created_at, deprovisioned_at";

    private Task<NpgsqlConnection> OpenAsync(CancellationToken ct) => AdminDataSources.OpenAsync(ConnectionString, ct);

    private static async Task<TenantRecord?> GetAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, TenantId tenant, bool forUpdate, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand($"SELECT {TenantColumns} FROM tenants WHERE tenant_id = $1" + (forUpdate ? " FOR UPDATE" : ""), conn, tx);
        cmd.Parameters.AddWithValue(tenant.Value);
        var rows = await ReadTenantsAsync(cmd, ct).ConfigureAwait(false);
        return rows.Count == 0 ? null : rows[0];
    }

    private static async Task<IReadOnlyList<TenantRecord>> ReadTenantsAsync(NpgsqlCommand cmd, CancellationToken ct)
    {
        var list = new List<TenantRecord>();
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await r.ReadAsync(ct).ConfigureAwait(false))
        {
            list.Add(new TenantRecord(
                TenantId.Parse(r.GetString(0)),
                TenantStatusText.Parse(r.GetString(1)),
                r.IsDBNull(2) ? null : r.GetInt32(2),
                r.IsDBNull(3) ? null : r.GetString(3),
                r.GetInt32(4),
                NullableTime(r, 5),
                NullableTime(r, 6),
                r.GetFieldValue<DateTimeOffset>(7),
                NullableTime(r, 8)));
        }
        return list;
    }

    private static DateTimeOffset? NullableTime(NpgsqlDataReader r, int i) => r.IsDBNull(i) ? null : r.GetFieldValue<DateTimeOffset>(i);

    private static async Task<long> InsertAuditAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, string eventType, string? tenant, object? details,
        CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(
            "INSERT INTO audit_events (event_type, tenant_id, details) VALUES ($1, $2, $3) RETURNING id", conn, tx);
        cmd.Parameters.AddWithValue(eventType);
        cmd.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Text, Value = (object?)tenant ?? DBNull.Value });
        cmd.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Jsonb, Value = details is null ? "{}" : JsonSerializer.Serialize(details) });
        return (long)(await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false))!;
    }

    private static KeyNotFoundException NotRegistered(TenantId tenant) => new($"tenant {tenant.Value} is not registered");
}
