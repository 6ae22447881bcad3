using Npgsql;
using NpgsqlTypes;
using RunbookHost.Tenants;

namespace RunbookHost.Registry;

/// <summary>Tenants: registration, network octet, status, listing (spec §8.1).</summary>
public sealed partial class TenantRegistry
{
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
        // A tenant whose network was reserved first (octet pool) takes that slot as its octet; others' reservations are skipped.
        var octet = existing?.TenantOctet ?? await ReservedOctetAsync(conn, tx, tenant, cancellationToken).ConfigureAwait(false);
        if (octet is null)
        {
            await using var free = new NpgsqlCommand(
                "SELECT min(n) FROM generate_series(1, 254) n WHERE n NOT IN (SELECT tenant_octet FROM tenants WHERE tenant_octet IS NOT NULL)"
                + $" AND n NOT IN ({OctetsReservedByNetworks})",
                conn, tx);
            free.Parameters.AddWithValue(tenant.Value);
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
}
