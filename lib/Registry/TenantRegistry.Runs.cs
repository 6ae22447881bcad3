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
}
