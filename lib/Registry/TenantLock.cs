using Npgsql;
using RunbookHost.Stores.Postgres;
using RunbookHost.Tenants;

namespace RunbookHost.Registry;

/// <summary>
/// A PostgreSQL session-level advisory lock on one tenant (key: <see cref="KeyFor"/>), held on a session of its own
/// for the duration of a run. Only one run per tenant at a time, across hosts that share the database. If the process
/// dies, the server ends the session and releases the lock. Dispose to release.
/// The session comes from one small pool of lock sessions per process (TCP keep-alive on), not a new login per run:
/// a fleet of 1,000 tenants reuses a handful of backends instead of forking and authenticating 1,000. A session goes
/// back to that pool only after the server confirmed the unlock; otherwise the pool is cleared, so the session is
/// closed (which releases any lock) rather than kept idle while holding a tenant.
/// </summary>
public sealed class TenantLock : IAsyncDisposable
{
    private readonly NpgsqlConnection _connection;
    private readonly NpgsqlDataSource _sessions;
    private bool _released;

    private TenantLock(TenantId tenant, long key, NpgsqlConnection connection, NpgsqlDataSource sessions)
    {
        Tenant = tenant;
        Key = key;
        _connection = connection;
        _sessions = sessions;
    }

    public TenantId Tenant { get; }

    /// <summary>The advisory lock key (visible in pg_locks as classid = high 32 bits, objid = low 32 bits, objsubid = 1).</summary>
    public long Key { get; }

    /// <summary>Stable 64-bit key of "runbook-host:tenant:" + id.</summary>
    public static long KeyFor(TenantId tenant) => AdvisoryLockKey.For("runbook-host:tenant:" + tenant.Value);

    /// <summary>Waits up to <paramref name="timeout"/> for the lock; null when another session still holds it.</summary>
    public static async Task<TenantLock?> TryAcquireAsync(string connectionString, TenantId tenant, TimeSpan timeout,
        CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(timeout, TimeSpan.Zero);
        var key = KeyFor(tenant);
        var sessions = AdminDataSources.For(LockSessions(connectionString));
        NpgsqlConnection conn;
        using (RunbookHost.Diagnostics.TimingTrace.Measure("postgres: open lock session (pooled)"))
            conn = await sessions.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // One round trip: named after its tenant while it holds it (pg_stat_activity), and how long it may wait. The
            // pool's reset (DISCARD ALL) restores both before the session serves anyone else.
            var ms = Math.Max(1, (long)Math.Ceiling(timeout.TotalMilliseconds));
            var settings = $"SET application_name = 'runbook-host lock {tenant.Value}'" + (timeout == TimeSpan.Zero ? "" : $"; SET lock_timeout = {ms}");
            await using (var set = new NpgsqlCommand(settings, conn))
                await set.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            bool acquired;
            if (timeout == TimeSpan.Zero)
            {
                await using var cmd = new NpgsqlCommand("SELECT pg_try_advisory_lock($1)", conn);
                cmd.Parameters.AddWithValue(key);
                acquired = (bool)(await cmd.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
            }
            else
            {
                try
                {
                    await using var cmd = new NpgsqlCommand("SELECT pg_advisory_lock($1)", conn);
                    cmd.CommandTimeout = (int)Math.Min(int.MaxValue, timeout.TotalSeconds + 30);
                    cmd.Parameters.AddWithValue(key);
                    await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                    acquired = true;
                }
                catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.LockNotAvailable)
                {
                    acquired = false;
                }
            }
            if (acquired)
                return new TenantLock(tenant, key, conn, sessions);
            await conn.DisposeAsync().ConfigureAwait(false);
            return null;
        }
        catch
        {
            // Whatever state the session is in (a lock may have been granted as the wait was cancelled): never pooled again.
            sessions.Clear();
            await conn.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>The connection string of this process's lock sessions: the registry's, with TCP keep-alive (a lock lives and dies with its session).</summary>
    private static string LockSessions(string connectionString) =>
        new NpgsqlConnectionStringBuilder(connectionString) { TcpKeepAlive = true, ApplicationName = "runbook-host lock" }.ConnectionString;

    /// <summary>Like <see cref="TryAcquireAsync"/>, but throws <see cref="TenantLockUnavailableException"/> ("another run holds tenant acme …").</summary>
    public static async Task<TenantLock> AcquireAsync(string connectionString, TenantId tenant, TimeSpan timeout,
        CancellationToken cancellationToken = default)
    {
        var held = await TryAcquireAsync(connectionString, tenant, timeout, cancellationToken).ConfigureAwait(false);
        if (held is not null)
            return held;
        var holder = await DescribeHolderAsync(connectionString, tenant, cancellationToken).ConfigureAwait(false);
        throw new TenantLockUnavailableException(tenant,
            $"another run holds tenant {tenant.Value}{holder}; gave up after {timeout.TotalSeconds:0.#}s");
    }

    /// <summary>True while this session still holds the lock (false if the connection was lost).</summary>
    public async Task<bool> IsHeldAsync(CancellationToken cancellationToken = default)
    {
        if (_released)
            return false;
        try
        {
            await using var cmd = new NpgsqlCommand(
                "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid() AND granted " +
                "AND classid = (($1 >> 32) & 4294967295)::oid AND objid = ($1 & 4294967295)::oid AND objsubid = 1)", _connection);
            cmd.Parameters.AddWithValue(Key);
            return (bool)(await cmd.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
        }
        catch (NpgsqlException)
        {
            return false;
        }
    }

    private static async Task<string> DescribeHolderAsync(string connectionString, TenantId tenant, CancellationToken ct)
    {
        try
        {
            await using var session = await UnpooledSession.OpenAsync(connectionString, ct).ConfigureAwait(false);
            var conn = session.Connection;
            await using var cmd = new NpgsqlCommand(
                "SELECT l.pid, a.backend_start FROM pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid " +
                "WHERE l.locktype = 'advisory' AND l.granted AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) " +
                "AND l.classid = (($1 >> 32) & 4294967295)::oid AND l.objid = ($1 & 4294967295)::oid AND l.objsubid = 1 LIMIT 1", conn);
            cmd.Parameters.AddWithValue(KeyFor(tenant));
            await using var reader = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
            if (!await reader.ReadAsync(ct).ConfigureAwait(false))
                return "";
            var since = reader.IsDBNull(1) ? "" : $", session since {reader.GetFieldValue<DateTimeOffset>(1).UtcDateTime:yyyy-MM-ddTHH:mm:ssZ}";
            return $" (PostgreSQL backend pid {reader.GetInt32(0)}{since})";
        }
        catch (NpgsqlException)
        {
            return "";
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_released)
            return;
        _released = true;
        var unlocked = false;
        try
        {
            await using var cmd = new NpgsqlCommand("SELECT pg_advisory_unlock($1)", _connection);
            cmd.Parameters.AddWithValue(Key);
            unlocked = (bool)(await cmd.ExecuteScalarAsync().ConfigureAwait(false))!;
        }
        catch (NpgsqlException)
        {
            // closed below instead of pooled: closing the session releases the lock
        }
        if (!unlocked)
            _sessions.Clear(); // this session (busy) is closed when disposed below, never reused

        await _connection.DisposeAsync().ConfigureAwait(false);
    }
}

public sealed class TenantLockUnavailableException(TenantId tenant, string message) : Exception(message)
{
    public TenantId Tenant { get; } = tenant;
}
