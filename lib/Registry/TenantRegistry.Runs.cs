using Npgsql;
using NpgsqlTypes;
using RunbookHost.Tenants;

namespace RunbookHost.Registry;

/// <summary>Audit events and runbook runs.</summary>
public sealed partial class TenantRegistry
{
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

    /// <summary>Inserts a runbook_runs row with status running, before the run acts; returns its id for <see cref="RecordRunFinishedAsync"/>.</summary>
    public async Task<Guid> RecordRunStartedAsync(RunStart run, CancellationToken cancellationToken = default)
    {
        await using var conn = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var cmd = new NpgsqlCommand(
            "INSERT INTO runbook_runs (runbook, version, sha256, tenant_id, scope, status, dry_run, started_at, previous_sha256) " +
            "VALUES ($1, $2, $3, $4, $5, 'running', $6, $7, $8) RETURNING id", conn);
        cmd.Parameters.AddWithValue(run.Runbook);
        cmd.Parameters.AddWithValue(run.Version);
        cmd.Parameters.AddWithValue(run.Sha256);
        cmd.Parameters.Add(Text(run.Tenant?.Value));
        cmd.Parameters.AddWithValue(run.Tenant is null ? "fleet" : "tenant");
        cmd.Parameters.AddWithValue(run.DryRun);
        cmd.Parameters.AddWithValue(run.StartedAt.ToUniversalTime());
        cmd.Parameters.Add(Text(run.PreviousSha256));
        return (Guid)(await cmd.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    }

    /// <summary>Closes a run with its status and the evidence file it wrote (see <see cref="RunFinish"/>).</summary>
    public async Task RecordRunFinishedAsync(Guid runId, RunFinish finish, CancellationToken cancellationToken = default)
    {
        if (finish.Status is not (RunStatus.Succeeded or RunStatus.Failed or RunStatus.Incomplete))
            throw new ArgumentException("a finished run is succeeded, failed or incomplete", nameof(finish));
        await using var conn = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var cmd = new NpgsqlCommand(
            "UPDATE runbook_runs SET status = $2, finished_at = $3, evidence_file = $4, evidence_sha256 = $5 WHERE id = $1", conn);
        cmd.Parameters.AddWithValue(runId);
        cmd.Parameters.AddWithValue(finish.Status);
        cmd.Parameters.AddWithValue(finish.FinishedAt.ToUniversalTime());
        cmd.Parameters.Add(Text(finish.EvidenceFile));
        cmd.Parameters.Add(Text(finish.EvidenceSha256));
        if (await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 0)
            throw new KeyNotFoundException($"no runbook run {runId}");
    }

    /// <summary>Every run of one scope ("tenant" or "fleet"), optionally of one tenant, oldest first: what the evidence folder must hold.</summary>
    public async Task<IReadOnlyList<RunRow>> ListRunsAsync(string scope, TenantId? tenant = null, CancellationToken cancellationToken = default)
    {
        await using var conn = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var cmd = new NpgsqlCommand(
            "SELECT id, runbook, version, sha256, scope, tenant_id, status, dry_run, started_at, finished_at, previous_sha256, evidence_file, evidence_sha256 " +
            "FROM runbook_runs WHERE scope = $1 AND ($2::text IS NULL OR tenant_id = $2) ORDER BY started_at, id", conn);
        cmd.Parameters.AddWithValue(scope);
        cmd.Parameters.Add(Text(tenant?.Value));
        var rows = new List<RunRow>();
        await using var r = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await r.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            rows.Add(new RunRow(r.GetGuid(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetString(4), NullableText(r, 5), r.GetString(6),
                r.GetBoolean(7), r.GetFieldValue<DateTimeOffset>(8), NullableTime(r, 9), NullableText(r, 10), NullableText(r, 11), NullableText(r, 12)));
        }
        return rows;
    }

    private static NpgsqlParameter Text(string? value) => new() { NpgsqlDbType = NpgsqlDbType.Text, Value = (object?)value ?? DBNull.Value };

    private static string? NullableText(NpgsqlDataReader r, int i) => r.IsDBNull(i) ? null : r.GetString(i);
}
