using Npgsql;
using RunbookHost.Tenants;

namespace RunbookHost.Registry;

/// <summary>Status of a tenant CA: active issues; retiring is still trusted during the rotation overlap; revoked is trusted by nothing.</summary>
public static class TenantCaStatus
{
    public const string Active = "active";
    public const string Retiring = "retiring";
    public const string Revoked = "revoked";
}

/// <summary>One tenant CA as the registry records it (migration 6). No key material.</summary>
public sealed record TenantCaRecord(string Serial, TenantId Tenant, string Fingerprint, DateTimeOffset NotBefore, DateTimeOffset NotAfter,
    string Status, DateTimeOffset CreatedAt, DateTimeOffset? RetiringSince = null, DateTimeOffset? RevokedAt = null, string? Reason = null);

/// <summary>One issued certificate, by serial: its tenant (null for platform certificates), issuer serial, identity and kind.</summary>
public sealed record IssuedCertificateRecord(string Serial, TenantId? Tenant, string CaSerial, string Identity, string Kind, DateTimeOffset NotAfter, DateTimeOffset IssuedAt);

/// <summary>The PKI's records (migration 6, docs/pki.md): tenant CAs and the certificates issued.</summary>
public sealed partial class TenantRegistry
{
    private const string CaColumns = "serial, tenant_id, sha256_fingerprint, not_before, not_after, status, created_at, retiring_since, revoked_at, reason";

    /// <summary>
    /// Records <paramref name="created"/> as the tenant's active CA; in the same transaction the CA that was active
    /// (<paramref name="previousSerial"/>, when given) becomes retiring. Refused (unique index) when another CA is active.
    /// </summary>
    public async Task AddActiveTenantCaAsync(TenantCaRecord created, string? previousSerial, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(created);
        await using var conn = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var tx = await conn.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        if (previousSerial is not null)
        {
            await using var retire = new NpgsqlCommand(
                "UPDATE tenant_cas SET status = 'retiring', retiring_since = $3 WHERE serial = $1 AND tenant_id = $2 AND status = 'active'", conn, tx);
            retire.Parameters.AddWithValue(previousSerial);
            retire.Parameters.AddWithValue(created.Tenant.Value);
            retire.Parameters.AddWithValue(now);
            await retire.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        await using (var insert = new NpgsqlCommand(
            "INSERT INTO tenant_cas (serial, tenant_id, sha256_fingerprint, not_before, not_after, status, created_at) VALUES ($1, $2, $3, $4, $5, 'active', $6)", conn, tx))
        {
            insert.Parameters.AddWithValue(created.Serial);
            insert.Parameters.AddWithValue(created.Tenant.Value);
            insert.Parameters.AddWithValue(created.Fingerprint);
            insert.Parameters.AddWithValue(created.NotBefore);
            insert.Parameters.AddWithValue(created.NotAfter);
            insert.Parameters.AddWithValue(created.CreatedAt);
            await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Every CA the tenant ever had, newest first.</summary>
    public async Task<IReadOnlyList<TenantCaRecord>> GetTenantCasAsync(TenantId tenant, CancellationToken cancellationToken = default)
    {
        await using var conn = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var cmd = new NpgsqlCommand($"SELECT {CaColumns} FROM tenant_cas WHERE tenant_id = $1 ORDER BY created_at DESC, serial", conn);
        cmd.Parameters.AddWithValue(tenant.Value);
        return await ReadCasAsync(cmd, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The tenant's active CA, or null.</summary>
    public async Task<TenantCaRecord?> GetActiveTenantCaAsync(TenantId tenant, CancellationToken cancellationToken = default) =>
        (await GetTenantCasAsync(tenant, cancellationToken).ConfigureAwait(false)).FirstOrDefault(c => c.Status == TenantCaStatus.Active);

    /// <summary>Every CA of every tenant with one of <paramref name="statuses"/>, by tenant then age.</summary>
    public async Task<IReadOnlyList<TenantCaRecord>> ListTenantCasAsync(IReadOnlyList<string> statuses, CancellationToken cancellationToken = default)
    {
        await using var conn = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var cmd = new NpgsqlCommand($"SELECT {CaColumns} FROM tenant_cas WHERE status = ANY($1) ORDER BY tenant_id, created_at, serial", conn);
        cmd.Parameters.AddWithValue(statuses.ToArray());
        return await ReadCasAsync(cmd, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Revokes a CA (any status but revoked); returns false when it was already revoked or is not the tenant's.</summary>
    public async Task<bool> RevokeTenantCaAsync(TenantId tenant, string serial, DateTimeOffset at, string reason, CancellationToken cancellationToken = default)
    {
        await using var conn = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var cmd = new NpgsqlCommand(
            "UPDATE tenant_cas SET status = 'revoked', revoked_at = $3, reason = $4 WHERE serial = $1 AND tenant_id = $2 AND status <> 'revoked'", conn);
        cmd.Parameters.AddWithValue(serial);
        cmd.Parameters.AddWithValue(tenant.Value);
        cmd.Parameters.AddWithValue(at);
        cmd.Parameters.AddWithValue(reason);
        return await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;
    }

    public async Task RecordIssuedCertificateAsync(IssuedCertificateRecord issued, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(issued);
        await using var conn = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var cmd = new NpgsqlCommand(
            "INSERT INTO issued_certificates (serial, tenant_id, ca_serial, identity, kind, not_after, issued_at) VALUES ($1, $2, $3, $4, $5, $6, $7)", conn);
        cmd.Parameters.AddWithValue(issued.Serial);
        cmd.Parameters.AddWithValue((object?)issued.Tenant?.Value ?? DBNull.Value);
        cmd.Parameters.AddWithValue(issued.CaSerial);
        cmd.Parameters.AddWithValue(issued.Identity);
        cmd.Parameters.AddWithValue(issued.Kind);
        cmd.Parameters.AddWithValue(issued.NotAfter);
        cmd.Parameters.AddWithValue(issued.IssuedAt);
        await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The certificates issued to the tenant's components, newest first.</summary>
    public async Task<IReadOnlyList<IssuedCertificateRecord>> ListIssuedCertificatesAsync(TenantId tenant, CancellationToken cancellationToken = default)
    {
        await using var conn = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var cmd = new NpgsqlCommand(
            "SELECT serial, tenant_id, ca_serial, identity, kind, not_after, issued_at FROM issued_certificates WHERE tenant_id = $1 ORDER BY issued_at DESC, serial", conn);
        cmd.Parameters.AddWithValue(tenant.Value);
        return await ReadIssuedAsync(cmd, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>One issued certificate by serial, or null.</summary>
    public async Task<IssuedCertificateRecord?> GetIssuedCertificateAsync(string serial, CancellationToken cancellationToken = default)
    {
        await using var conn = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var cmd = new NpgsqlCommand(
            "SELECT serial, tenant_id, ca_serial, identity, kind, not_after, issued_at FROM issued_certificates WHERE serial = $1", conn);
        cmd.Parameters.AddWithValue(serial);
        return (await ReadIssuedAsync(cmd, cancellationToken).ConfigureAwait(false)).FirstOrDefault();
    }

    private static async Task<IReadOnlyList<TenantCaRecord>> ReadCasAsync(NpgsqlCommand cmd, CancellationToken cancellationToken)
    {
        var list = new List<TenantCaRecord>();
        await using var r = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await r.ReadAsync(cancellationToken).ConfigureAwait(false))
            list.Add(new TenantCaRecord(r.GetString(0), TenantId.Parse(r.GetString(1)), r.GetString(2), r.GetFieldValue<DateTimeOffset>(3),
                r.GetFieldValue<DateTimeOffset>(4), r.GetString(5), r.GetFieldValue<DateTimeOffset>(6), NullableTime(r, 7), NullableTime(r, 8),
                r.IsDBNull(9) ? null : r.GetString(9)));
        return list;
    }

    private static async Task<IReadOnlyList<IssuedCertificateRecord>> ReadIssuedAsync(NpgsqlCommand cmd, CancellationToken cancellationToken)
    {
        var list = new List<IssuedCertificateRecord>();
        await using var r = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await r.ReadAsync(cancellationToken).ConfigureAwait(false))
            list.Add(new IssuedCertificateRecord(r.GetString(0), r.IsDBNull(1) ? null : TenantId.Parse(r.GetString(1)), r.GetString(2), r.GetString(3),
                r.GetString(4), r.GetFieldValue<DateTimeOffset>(5), r.GetFieldValue<DateTimeOffset>(6)));
        return list;
    }
}
