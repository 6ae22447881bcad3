using System.Security.Cryptography;
using System.Text;
using Npgsql;
using RunbookHost.Tenants;

namespace RunbookHost.Registry;

/// <summary>The key history (spec §8.1, §8.3): rotation, archive, purge.</summary>
public sealed partial class TenantRegistry
{
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
            "UPDATE tenant_key_history SET status = 'ARCHIVED', archived_at = $2, valid_to = $2 WHERE tenant_id = $1 AND status = 'ACTIVE' RETURNING key_version", conn, tx))
        {
            archive.Parameters.AddWithValue(tenant.Value);
            archive.Parameters.AddWithValue(rotatedAt.ToUniversalTime());
            if (await archive.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is int v)
                archived = v;
        }
        await using (var insert = new NpgsqlCommand(
            "INSERT INTO tenant_key_history (tenant_id, key_version, public_key_hash, status, created_at, rotation_reason, age_public_key, key_file, valid_from) " +
            "VALUES ($1, $2, $3, 'ACTIVE', $4, $5, $6, 'key.age', $4)", conn, tx))
        {
            insert.Parameters.AddWithValue(tenant.Value);
            insert.Parameters.AddWithValue(version);
            insert.Parameters.AddWithValue(hash);
            insert.Parameters.AddWithValue(rotatedAt.ToUniversalTime());
            insert.Parameters.AddWithValue(reason);
            insert.Parameters.AddWithValue(agePublicKey);
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
            "UPDATE tenant_key_history SET status = 'ARCHIVED', archived_at = $2, valid_to = $2 WHERE tenant_id = $1 AND status = 'ACTIVE' RETURNING key_version", conn, tx))
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
            $"SELECT {KeyColumns} FROM tenant_key_history WHERE tenant_id = $1 ORDER BY key_version DESC", conn);
        cmd.Parameters.AddWithValue(tenant.Value);
        var list = new List<TenantKeyRecord>();
        await using var r = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await r.ReadAsync(cancellationToken).ConfigureAwait(false))
            list.Add(ReadKey(r));
        return list;
    }

    /// <summary>ARCHIVED keys archived at or before <paramref name="archivedBefore"/> (now − retention): candidates for purge.</summary>
    public async Task<IReadOnlyList<TenantKeyRecord>> ListArchivedKeysDueForPurgeAsync(DateTimeOffset archivedBefore, CancellationToken cancellationToken = default)
    {
        await using var conn = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var cmd = new NpgsqlCommand(
            $"SELECT {KeyColumns} FROM tenant_key_history WHERE status = 'ARCHIVED' AND archived_at <= $1 ORDER BY archived_at", conn);
        cmd.Parameters.AddWithValue(archivedBefore.ToUniversalTime());
        var list = new List<TenantKeyRecord>();
        await using var r = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await r.ReadAsync(cancellationToken).ConfigureAwait(false))
            list.Add(ReadKey(r));
        return list;
    }

    /// <summary>
    /// Records which public key and key file each history row is (matched by <c>public_key_hash</c>), from the key files
    /// found on disk: the backfill for rows written before migration 8, and the archive file name a rotation or deprovision
    /// gave the key. A PURGED row keeps what it had. Returns how many rows changed.
    /// </summary>
    public async Task<int> RecordKeyFilesAsync(TenantId tenant, IReadOnlyList<(string PublicKey, string FileName)> keyFiles, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(keyFiles);
        if (keyFiles.Count == 0)
            return 0;
        await using var conn = await OpenAsync(cancellationToken).ConfigureAwait(false);
        var changed = 0;
        foreach (var (publicKey, fileName) in keyFiles)
        {
            await using var cmd = new NpgsqlCommand(
                "UPDATE tenant_key_history SET age_public_key = $3, key_file = $4 WHERE tenant_id = $1 AND public_key_hash = $2 AND status <> 'PURGED' " +
                "AND (age_public_key IS DISTINCT FROM $3 OR key_file IS DISTINCT FROM $4)", conn);
            cmd.Parameters.AddWithValue(tenant.Value);
            cmd.Parameters.AddWithValue(PublicKeyHash(publicKey));
            cmd.Parameters.AddWithValue(publicKey);
            cmd.Parameters.AddWithValue(fileName);
            changed += await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        return changed;
    }

    private const string KeyColumns =
        "id, tenant_id, key_version, public_key_hash, status, created_at, archived_at, purged_at, rotation_reason, age_public_key, key_file, valid_from, valid_to";

    private static TenantKeyRecord ReadKey(NpgsqlDataReader r) => new(
        r.GetGuid(0), TenantId.Parse(r.GetString(1)), r.GetInt32(2), r.GetString(3), r.GetString(4),
        r.GetFieldValue<DateTimeOffset>(5), NullableTime(r, 6), NullableTime(r, 7), r.IsDBNull(8) ? null : r.GetString(8),
        r.IsDBNull(9) ? null : r.GetString(9), r.IsDBNull(10) ? null : r.GetString(10), NullableTime(r, 11), NullableTime(r, 12));

    /// <summary>"sha256:" + lowercase hex SHA-256 of the public key text, as stored in tenant_key_history.</summary>
    public static string PublicKeyHash(string agePublicKey) =>
        "sha256:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(agePublicKey)));
}
