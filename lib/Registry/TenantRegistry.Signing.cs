using Npgsql;

namespace RunbookHost.Registry;

/// <summary>A row of <c>signing_keys</c>: an evidence signing public key, and when (and to which key) it was retired.</summary>
public sealed record SigningKeyRecord(string KeyId, string PublicKeyPem, DateTimeOffset CreatedAt, DateTimeOffset? RetiredAt,
    string? SuccessorKeyId, string? RotationReason);

/// <summary>Evidence signing keys: registered on first use, retired by a rotation (docs/evidence.md "Pinned trust").</summary>
public sealed partial class TenantRegistry
{
    public const string SigningKeyRegisteredEvent = "EVIDENCE_SIGNING_KEY_REGISTERED";
    public const string SigningKeyRotatedEvent = "EVIDENCE_SIGNING_KEY_ROTATED";

    /// <summary>
    /// Records the key unless it is known (an audit event when it is new) and returns its row. The caller must refuse to
    /// sign with a key whose row says it was retired.
    /// </summary>
    public async Task<SigningKeyRecord> RegisterSigningKeyAsync(string keyId, string publicKeyPem, DateTimeOffset now,
        CancellationToken cancellationToken = default)
    {
        await using var conn = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var tx = await conn.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        if (await InsertSigningKeyAsync(conn, tx, keyId, publicKeyPem, now, cancellationToken).ConfigureAwait(false))
            await InsertAuditAsync(conn, tx, SigningKeyRegisteredEvent, null, new { key_id = keyId }, cancellationToken).ConfigureAwait(false);
        var row = await GetSigningKeyAsync(conn, tx, keyId, cancellationToken).ConfigureAwait(false);
        await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
        return row!;
    }

    /// <summary>
    /// Retires <paramref name="previousKeyId"/> at <paramref name="rotatedAt"/> in favour of <paramref name="nextKeyId"/>
    /// (both registered if needed) and records an audit event, in one transaction. Repeating the same rotation changes
    /// nothing; retiring a key already retired in favour of another key throws.
    /// </summary>
    public async Task RecordSigningKeyRotationAsync(string previousKeyId, string previousPem, string nextKeyId, string nextPem,
        DateTimeOffset rotatedAt, string reason, CancellationToken cancellationToken = default)
    {
        await using var conn = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var tx = await conn.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await InsertSigningKeyAsync(conn, tx, previousKeyId, previousPem, rotatedAt, cancellationToken).ConfigureAwait(false);
        await InsertSigningKeyAsync(conn, tx, nextKeyId, nextPem, rotatedAt, cancellationToken).ConfigureAwait(false);
        var previous = (await GetSigningKeyAsync(conn, tx, previousKeyId, cancellationToken, forUpdate: true).ConfigureAwait(false))!;
        if (previous.SuccessorKeyId == nextKeyId)
            return; // recorded by an earlier attempt
        if (previous.SuccessorKeyId is not null)
            throw new InvalidOperationException($"signing key {previousKeyId} was already retired in favour of {previous.SuccessorKeyId}");
        await using (var retire = new NpgsqlCommand(
            "UPDATE signing_keys SET retired_at = $2, successor_key_id = $3, rotation_reason = $4 WHERE key_id = $1", conn, tx))
        {
            retire.Parameters.AddWithValue(previousKeyId);
            retire.Parameters.AddWithValue(rotatedAt.ToUniversalTime());
            retire.Parameters.AddWithValue(nextKeyId);
            retire.Parameters.AddWithValue(reason);
            await retire.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        await InsertAuditAsync(conn, tx, SigningKeyRotatedEvent, null,
            new { previous_key = previousKeyId, next_key = nextKeyId, reason }, cancellationToken).ConfigureAwait(false);
        await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Every signing key, oldest first.</summary>
    public async Task<IReadOnlyList<SigningKeyRecord>> ListSigningKeysAsync(CancellationToken cancellationToken = default)
    {
        await using var conn = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var cmd = new NpgsqlCommand($"SELECT {SigningKeyColumns} FROM signing_keys ORDER BY created_at, key_id", conn);
        return await ReadSigningKeysAsync(cmd, cancellationToken).ConfigureAwait(false);
    }

    private const string SigningKeyColumns = "key_id, public_key_pem, created_at, retired_at, successor_key_id, rotation_reason";

    private static async Task<bool> InsertSigningKeyAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string keyId, string pem, DateTimeOffset now,
        CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(
            "INSERT INTO signing_keys (key_id, public_key_pem, created_at) VALUES ($1, $2, $3) ON CONFLICT (key_id) DO NOTHING", conn, tx);
        cmd.Parameters.AddWithValue(keyId);
        cmd.Parameters.AddWithValue(pem);
        cmd.Parameters.AddWithValue(now.ToUniversalTime());
        return await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false) == 1;
    }

    private static async Task<SigningKeyRecord?> GetSigningKeyAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string keyId, CancellationToken ct,
        bool forUpdate = false)
    {
        await using var cmd = new NpgsqlCommand(
            $"SELECT {SigningKeyColumns} FROM signing_keys WHERE key_id = $1" + (forUpdate ? " FOR UPDATE" : ""), conn, tx);
        cmd.Parameters.AddWithValue(keyId);
        var rows = await ReadSigningKeysAsync(cmd, ct).ConfigureAwait(false);
        return rows.Count == 0 ? null : rows[0];
    }

    private static async Task<IReadOnlyList<SigningKeyRecord>> ReadSigningKeysAsync(NpgsqlCommand cmd, CancellationToken ct)
    {
        var list = new List<SigningKeyRecord>();
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await r.ReadAsync(ct).ConfigureAwait(false))
            list.Add(new SigningKeyRecord(r.GetString(0), r.GetString(1), r.GetFieldValue<DateTimeOffset>(2), NullableTime(r, 3),
                NullableText(r, 4), NullableText(r, 5)));
        return list;
    }
}
