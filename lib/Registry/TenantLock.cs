using Npgsql;
using RunbookHost.Stores.Postgres;
using RunbookHost.Tenants;

namespace RunbookHost.Registry;

/// <summary>
/// A PostgreSQL session-level advisory lock on one tenant (key: <see cref="KeyFor"/>), held on a dedicated,
/// unpooled connection for the duration of a run. Only one run per tenant at a time, across hosts that share
/// the database. If the process dies, the server ends the session and releases the lock.
/// Dispose to release.
/// </summary>
public sealed class TenantLock : IAsyncDisposable
{
    private readonly UnpooledSession _session;
    private bool _released;

    private TenantLock(TenantId tenant, long key, UnpooledSession session)
    {
        Tenant = tenant;
        Key = key;
        _session = session;
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
        var builder = new NpgsqlConnectionStringBuilder(connectionString)
        {
            TcpKeepAlive = true, // unpooled (UnpooledSession): the lock lives and dies with this session
            ApplicationName = $"runbook-host lock {tenant.Value}",
        };
        var key = KeyFor(tenant);
        var session = await UnpooledSession.OpenAsync(builder.ConnectionString, cancellationToken).ConfigureAwait(false);
        var conn = session.Connection;
        try
        {
            bool acquired;
            if (timeout == TimeSpan.Zero)
            {
                await using var cmd = new NpgsqlCommand("SELECT pg_try_advisory_lock($1)", conn);
                cmd.Parameters.AddWithValue(key);
                acquired = (bool)(await cmd.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
            }
            else
            {
                var ms = Math.Max(1, (long)Math.Ceiling(timeout.TotalMilliseconds));
                await using (var set = new NpgsqlCommand($"SET lock_timeout = {ms}", conn))
                    await set.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
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
                await using (var reset = new NpgsqlCommand("RESET lock_timeout", conn))
                    await reset.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
            if (acquired)
                return new TenantLock(tenant, key, session);
            await session.DisposeAsync().ConfigureAwait(false);
            return null;
        }
        catch
        {
            await session.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

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
                "AND classid = (($1 >> 32) & 4294967295)::oid AND objid = ($1 & 4294967295)::oid AND objsubid = 1)", _session.Connection);
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
        try
        {
            await using var cmd = new NpgsqlCommand("SELECT pg_advisory_unlock($1)", _session.Connection);
            cmd.Parameters.AddWithValue(Key);
            await cmd.ExecuteScalarAsync().ConfigureAwait(false);
        }
        catch (NpgsqlException)
        {
            // closing the session below releases it anyway
        }
        await _session.DisposeAsync().ConfigureAwait(false);
    }
}

public sealed class TenantLockUnavailableException(TenantId tenant, string message) : Exception(message)
{
    public TenantId Tenant { get; } = tenant;
}
