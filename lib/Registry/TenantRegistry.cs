using System.Security.Cryptography;
using System.Text;
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
public sealed class TenantRegistry
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

    // ---------------------------------------------------------------- tenants

    /// <summary>
    /// Registers the tenant (or re-registers a deprovisioned one) with <paramref name="status"/>, allocating the
    /// lowest free tenant octet (1..254) if it has none. Idempotent: an existing row keeps its octet and keys;
    /// only its status changes. The octet only names the tenant's private network (10.{octet}.0.0/16, network
    /// spec §9); storage isolation does not depend on it, so once all 254 are taken a tenant is registered
    /// without one (NULL) instead of being refused, and features that need the network (pg_hba rules) skip it.
    /// </summary>
    public async Task<TenantRecord> RegisterAsync(TenantId tenant, TenantStatus status = TenantStatus.Provisioning,
        CancellationToken cancellationToken = default)
    {
        await using var conn = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var tx = await conn.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using (var lockCmd = new NpgsqlCommand("SELECT pg_advisory_xact_lock($1)", conn, tx))
        {
            lockCmd.Parameters.AddWithValue(AdvisoryLockKey.Octets);
            await lockCmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        var existing = await GetAsync(conn, tx, tenant, forUpdate: true, cancellationToken).ConfigureAwait(false);
        var octet = existing?.TenantOctet;
        if (octet is null)
        {
            await using var free = new NpgsqlCommand(
                "SELECT min(n) FROM generate_series(1, 254) n WHERE n NOT IN (SELECT tenant_octet FROM tenants WHERE tenant_octet IS NOT NULL)",
                conn, tx);
            var found = await free.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
            octet = found is int n ? n : null;
        }
        const string sql = """
            INSERT INTO tenants (tenant_id, status, tenant_octet) VALUES ($1, $2, $3)
            ON CONFLICT (tenant_id) DO UPDATE SET status = EXCLUDED.status, tenant_octet = EXCLUDED.tenant_octet,
                deprovisioned_at = NULL, updated_at = now()
            """;
        await using (var upsert = new NpgsqlCommand(sql, conn, tx))
        {
            upsert.Parameters.AddWithValue(tenant.Value);
            upsert.Parameters.AddWithValue(status.ToDb());
            upsert.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Integer, Value = (object?)octet ?? DBNull.Value });
            await upsert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        var record = (await GetAsync(conn, tx, tenant, forUpdate: false, cancellationToken).ConfigureAwait(false))!;
        await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
        return record;
    }

    /// <summary>
    /// Sets the status. Deprovisioned also stamps deprovisioned_at and releases the tenant octet.
    /// Throws <see cref="KeyNotFoundException"/> when the tenant is not registered.
    /// </summary>
    public async Task SetStatusAsync(TenantId tenant, TenantStatus status, CancellationToken cancellationToken = default)
    {
        const string sql = """
            UPDATE tenants SET status = $2, updated_at = now(),
                deprovisioned_at = CASE WHEN $2 = 'deprovisioned' THEN now() ELSE deprovisioned_at END,
                tenant_octet = CASE WHEN $2 = 'deprovisioned' THEN NULL ELSE tenant_octet END
            WHERE tenant_id = $1
            """;
        await using var conn = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var cmd = new NpgsqlCommand(sql, conn);
        cmd.Parameters.AddWithValue(tenant.Value);
        cmd.Parameters.AddWithValue(status.ToDb());
        if (await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 0)
            throw NotRegistered(tenant);
    }

    public async Task<TenantRecord?> GetAsync(TenantId tenant, CancellationToken cancellationToken = default)
    {
        await using var conn = await OpenAsync(cancellationToken).ConfigureAwait(false);
        return await GetAsync(conn, null, tenant, forUpdate: false, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>All registered tenants (optionally only those with <paramref name="status"/>), ordered by id.</summary>
    public async Task<IReadOnlyList<TenantRecord>> ListAsync(TenantStatus? status = null, CancellationToken cancellationToken = default)
    {
        await using var conn = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var cmd = new NpgsqlCommand($"SELECT {TenantColumns} FROM tenants WHERE ($1::text IS NULL OR status = $1) ORDER BY tenant_id", conn);
        cmd.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Text, Value = (object?)status?.ToDb() ?? DBNull.Value });
        return await ReadTenantsAsync(cmd, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Up to <paramref name="limit"/> other active tenants, picked at random: the targets of a tenant's
    /// cross-tenant probes. One small query, so verifying N tenants stays linear in N.
    /// </summary>
    public async Task<IReadOnlyList<TenantId>> PickOtherActiveTenantsAsync(TenantId tenant, int limit, CancellationToken cancellationToken = default)
    {
        await using var conn = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var cmd = new NpgsqlCommand("SELECT tenant_id FROM tenants WHERE status = 'active' AND tenant_id <> $1 ORDER BY random() LIMIT $2", conn);
        cmd.Parameters.AddWithValue(tenant.Value);
        cmd.Parameters.AddWithValue(limit);
        var others = new List<TenantId>();
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            others.Add(TenantId.Parse(reader.GetString(0)));
        return others;
    }

    /// <summary>Active tenants whose key_rotation_due_at is at or before <paramref name="now"/>, most overdue first.</summary>
    public async Task<IReadOnlyList<TenantRecord>> ListDueForRotationAsync(DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        await using var conn = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var cmd = new NpgsqlCommand(
            $"SELECT {TenantColumns} FROM tenants WHERE status = 'active' AND key_rotation_due_at <= $1 ORDER BY key_rotation_due_at, tenant_id", conn);
        cmd.Parameters.AddWithValue(now.ToUniversalTime());
        return await ReadTenantsAsync(cmd, cancellationToken).ConfigureAwait(false);
    }

    // ---------------------------------------------------------------- keys

    /// <summary>
    /// Records a new age public key in one transaction: archives the ACTIVE history row, inserts the new one
    /// (version = previous + 1, or 1 for the first key), updates tenants (key, version, rotated/due times) and
    /// writes a KEY_CREATED or KEY_ROTATED audit event. Re-recording the current key is a no-op.
    /// </summary>
    public async Task<KeyRotationResult> RecordKeyRotationAsync(TenantId tenant, string agePublicKey, string reason,
        DateTimeOffset rotatedAt, DateTimeOffset rotationDueAt, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(agePublicKey);
        var hash = PublicKeyHash(agePublicKey);
        await using var conn = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var tx = await conn.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        var current = await GetAsync(conn, tx, tenant, forUpdate: true, cancellationToken).ConfigureAwait(false)
            ?? throw NotRegistered(tenant);
        if (current.AgePublicKey == agePublicKey)
        {
            await tx.RollbackAsync(cancellationToken).ConfigureAwait(false);
            return new KeyRotationResult(current.KeyVersion, null, hash);
        }

        int version;
        await using (var max = new NpgsqlCommand("SELECT coalesce(max(key_version), 0) + 1 FROM tenant_key_history WHERE tenant_id = $1", conn, tx))
        {
            max.Parameters.AddWithValue(tenant.Value);
            version = (int)(await max.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
        }
        int? archived = null;
        await using (var archive = new NpgsqlCommand(
            "UPDATE tenant_key_history SET status = 'ARCHIVED', archived_at = $2 WHERE tenant_id = $1 AND status = 'ACTIVE' RETURNING key_version", conn, tx))
        {
            archive.Parameters.AddWithValue(tenant.Value);
            archive.Parameters.AddWithValue(rotatedAt.ToUniversalTime());
            if (await archive.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is int v)
                archived = v;
        }
        await using (var insert = new NpgsqlCommand(
            "INSERT INTO tenant_key_history (tenant_id, key_version, public_key_hash, status, created_at, rotation_reason) VALUES ($1, $2, $3, 'ACTIVE', $4, $5)", conn, tx))
        {
            insert.Parameters.AddWithValue(tenant.Value);
            insert.Parameters.AddWithValue(version);
            insert.Parameters.AddWithValue(hash);
            insert.Parameters.AddWithValue(rotatedAt.ToUniversalTime());
            insert.Parameters.AddWithValue(reason);
            await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        await using (var update = new NpgsqlCommand(
            "UPDATE tenants SET age_public_key = $2, key_version = $3, key_rotated_at = $4, key_rotation_due_at = $5, updated_at = now() WHERE tenant_id = $1", conn, tx))
        {
            update.Parameters.AddWithValue(tenant.Value);
            update.Parameters.AddWithValue(agePublicKey);
            update.Parameters.AddWithValue(version);
            update.Parameters.AddWithValue(rotatedAt.ToUniversalTime());
            update.Parameters.AddWithValue(rotationDueAt.ToUniversalTime());
            await update.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        await InsertAuditAsync(conn, tx, archived is null ? "KEY_CREATED" : "KEY_ROTATED", tenant.Value,
            new Dictionary<string, object?> { ["key_version"] = version, ["archived_version"] = archived, ["public_key_hash"] = hash, ["reason"] = reason },
            cancellationToken).ConfigureAwait(false);
        await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
        return new KeyRotationResult(version, archived, hash);
    }

    /// <summary>
    /// Deprovision (§8.3): the tenant's ACTIVE key becomes ARCHIVED (its file was archived, not destroyed), with a
    /// KEY_ARCHIVED audit event, so purge-archived-keys can later mark it PURGED. Returns the version, or null
    /// when no key is ACTIVE (already archived: idempotent).
    /// </summary>
    public async Task<int?> ArchiveActiveKeyAsync(TenantId tenant, DateTimeOffset archivedAt, CancellationToken cancellationToken = default)
    {
        await using var conn = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var tx = await conn.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        int? version = null;
        await using (var archive = new NpgsqlCommand(
            "UPDATE tenant_key_history SET status = 'ARCHIVED', archived_at = $2 WHERE tenant_id = $1 AND status = 'ACTIVE' RETURNING key_version", conn, tx))
        {
            archive.Parameters.AddWithValue(tenant.Value);
            archive.Parameters.AddWithValue(archivedAt.ToUniversalTime());
            if (await archive.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is int v)
                version = v;
        }
        if (version is not null)
        {
            await InsertAuditAsync(conn, tx, "KEY_ARCHIVED", tenant.Value, new Dictionary<string, object?> { ["key_version"] = version, ["reason"] = "deprovisioned" }, cancellationToken)
                .ConfigureAwait(false);
        }
        await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
        return version;
    }

    /// <summary>
    /// Marks an ARCHIVED key version PURGED. Returns false when it already is; throws for the ACTIVE key
    /// (never purge the key in use) and for an unknown version.
    /// </summary>
    public async Task<bool> MarkKeyPurgedAsync(TenantId tenant, int keyVersion, DateTimeOffset purgedAt, CancellationToken cancellationToken = default)
    {
        await using var conn = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var tx = await conn.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        string? status;
        await using (var get = new NpgsqlCommand("SELECT status FROM tenant_key_history WHERE tenant_id = $1 AND key_version = $2 FOR UPDATE", conn, tx))
        {
            get.Parameters.AddWithValue(tenant.Value);
            get.Parameters.AddWithValue(keyVersion);
            status = (string?)await get.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
        }
        switch (status)
        {
            case null:
                throw new KeyNotFoundException($"tenant {tenant.Value} has no key version {keyVersion}");
            case KeyStatus.Active:
                throw new InvalidOperationException($"key version {keyVersion} of tenant {tenant.Value} is ACTIVE; only ARCHIVED keys can be purged");
            case KeyStatus.Purged:
                return false;
        }
        await using (var purge = new NpgsqlCommand("UPDATE tenant_key_history SET status = 'PURGED', purged_at = $3 WHERE tenant_id = $1 AND key_version = $2", conn, tx))
        {
            purge.Parameters.AddWithValue(tenant.Value);
            purge.Parameters.AddWithValue(keyVersion);
            purge.Parameters.AddWithValue(purgedAt.ToUniversalTime());
            await purge.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        await InsertAuditAsync(conn, tx, "KEY_PURGED", tenant.Value, new Dictionary<string, object?> { ["key_version"] = keyVersion }, cancellationToken)
            .ConfigureAwait(false);
        await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
        return true;
    }

    /// <summary>The tenant's key history, newest version first.</summary>
    public async Task<IReadOnlyList<TenantKeyRecord>> GetKeyHistoryAsync(TenantId tenant, CancellationToken cancellationToken = default)
    {
        await using var conn = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var cmd = new NpgsqlCommand(
            "SELECT id, key_version, public_key_hash, status, created_at, archived_at, purged_at, rotation_reason FROM tenant_key_history WHERE tenant_id = $1 ORDER BY key_version DESC", conn);
        cmd.Parameters.AddWithValue(tenant.Value);
        var list = new List<TenantKeyRecord>();
        await using var r = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await r.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            list.Add(new TenantKeyRecord(r.GetGuid(0), tenant, r.GetInt32(1), r.GetString(2), r.GetString(3),
                r.GetFieldValue<DateTimeOffset>(4), NullableTime(r, 5), NullableTime(r, 6), r.IsDBNull(7) ? null : r.GetString(7)));
        }
        return list;
    }

    /// <summary>ARCHIVED keys archived at or before <paramref name="archivedBefore"/> (now − retention): candidates for purge.</summary>
    public async Task<IReadOnlyList<TenantKeyRecord>> ListArchivedKeysDueForPurgeAsync(DateTimeOffset archivedBefore, CancellationToken cancellationToken = default)
    {
        await using var conn = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var cmd = new NpgsqlCommand(
            "SELECT id, tenant_id, key_version, public_key_hash, status, created_at, archived_at, purged_at, rotation_reason FROM tenant_key_history " +
            "WHERE status = 'ARCHIVED' AND archived_at <= $1 ORDER BY archived_at", conn);
        cmd.Parameters.AddWithValue(archivedBefore.ToUniversalTime());
        var list = new List<TenantKeyRecord>();
        await using var r = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await r.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            list.Add(new TenantKeyRecord(r.GetGuid(0), TenantId.Parse(r.GetString(1)), r.GetInt32(2), r.GetString(3), r.GetString(4),
                r.GetFieldValue<DateTimeOffset>(5), NullableTime(r, 6), NullableTime(r, 7), r.IsDBNull(8) ? null : r.GetString(8)));
        }
        return list;
    }

    /// <summary>"sha256:" + lowercase hex SHA-256 of the public key text, as stored in tenant_key_history.</summary>
    public static string PublicKeyHash(string agePublicKey) =>
        "sha256:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(agePublicKey)));

    // ---------------------------------------------------------------- audit and runs

    /// <summary>Appends an audit event. <paramref name="details"/> is serialized to JSON; never pass secrets.</summary>
    public async Task<long> RecordAuditAsync(string eventType, TenantId? tenant, object? details = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(eventType);
        await using var conn = await OpenAsync(cancellationToken).ConfigureAwait(false);
        return await InsertAuditAsync(conn, null, eventType, tenant?.Value, details, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Audit events of a tenant (or all when null), newest first.</summary>
    public async Task<IReadOnlyList<AuditEventRecord>> ListAuditAsync(TenantId? tenant, int limit = 100, CancellationToken cancellationToken = default)
    {
        await using var conn = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var cmd = new NpgsqlCommand(
            "SELECT id, occurred_at, event_type, tenant_id, details::text FROM audit_events WHERE ($1::text IS NULL OR tenant_id = $1) ORDER BY id DESC LIMIT $2", conn);
        cmd.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Text, Value = (object?)tenant?.Value ?? DBNull.Value });
        cmd.Parameters.AddWithValue(limit);
        var list = new List<AuditEventRecord>();
        await using var r = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await r.ReadAsync(cancellationToken).ConfigureAwait(false))
            list.Add(new AuditEventRecord(r.GetInt64(0), r.GetFieldValue<DateTimeOffset>(1), r.GetString(2), r.IsDBNull(3) ? null : r.GetString(3), r.GetString(4)));
        return list;
    }

    /// <summary>Inserts a runbook_runs row with status running; returns its id for <see cref="RecordRunFinishedAsync"/>.</summary>
    public async Task<Guid> RecordRunStartedAsync(RunStart run, CancellationToken cancellationToken = default)
    {
        await using var conn = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var cmd = new NpgsqlCommand(
            "INSERT INTO runbook_runs (runbook, version, sha256, tenant_id, status, dry_run, started_at) VALUES ($1, $2, $3, $4, 'running', $5, $6) RETURNING id", conn);
        cmd.Parameters.AddWithValue(run.Runbook);
        cmd.Parameters.AddWithValue(run.Version);
        cmd.Parameters.AddWithValue(run.Sha256);
        cmd.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Text, Value = (object?)run.Tenant?.Value ?? DBNull.Value });
        cmd.Parameters.AddWithValue(run.DryRun);
        cmd.Parameters.AddWithValue(run.StartedAt.ToUniversalTime());
        return (Guid)(await cmd.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    }

    /// <summary>Closes a run: <paramref name="status"/> is <see cref="RunStatus.Succeeded"/> or <see cref="RunStatus.Failed"/>.</summary>
    public async Task RecordRunFinishedAsync(Guid runId, string status, DateTimeOffset finishedAt, string? evidenceFile,
        CancellationToken cancellationToken = default)
    {
        if (status is not (RunStatus.Succeeded or RunStatus.Failed))
            throw new ArgumentException("a finished run is succeeded or failed", nameof(status));
        await using var conn = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var cmd = new NpgsqlCommand("UPDATE runbook_runs SET status = $2, finished_at = $3, evidence_file = $4 WHERE id = $1", conn);
        cmd.Parameters.AddWithValue(runId);
        cmd.Parameters.AddWithValue(status);
        cmd.Parameters.AddWithValue(finishedAt.ToUniversalTime());
        cmd.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Text, Value = (object?)evidenceFile ?? DBNull.Value });
        if (await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 0)
            throw new KeyNotFoundException($"no runbook run {runId}");
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
