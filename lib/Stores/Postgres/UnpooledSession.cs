using Npgsql;

namespace RunbookHost.Stores.Postgres;

/// <summary>
/// One PostgreSQL session that leaves nothing behind in the process once disposed.
/// <c>new NpgsqlConnection(cs)</c> registers a data source per distinct connection string in Npgsql's
/// process-wide pool table and keeps it, pooled or not, for the life of the process. Tenant logins (each with
/// its own user and password) and per-tenant lock sessions would pile up one data source per tenant: memory
/// that grows with the fleet in a scheduler that never exits, and tenant passwords kept in memory long after
/// the probe. Here each session owns its data source and disposes it with the connection. It also skips
/// Npgsql's type loading, one catalog query per new data source: these sessions use only built-in types.
/// </summary>
public sealed class UnpooledSession : IAsyncDisposable
{
    private readonly NpgsqlDataSource _source;

    private UnpooledSession(NpgsqlDataSource source, NpgsqlConnection connection)
    {
        _source = source;
        Connection = connection;
    }

    /// <summary>The open connection; valid until the session is disposed.</summary>
    public NpgsqlConnection Connection { get; }

    /// <summary>Opens a session with <paramref name="connectionString"/> (pooling forced off).</summary>
    public static async Task<UnpooledSession> OpenAsync(string connectionString, CancellationToken cancellationToken)
    {
        using var timing = RunbookHost.Diagnostics.TimingTrace.Measure("postgres: open unpooled (lock, tenant login)");
        var source = AdminDataSources.BuildWithoutTypeLoading(connectionString, unpooled: true);
        var connection = source.CreateConnection();
        try
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            return new UnpooledSession(source, connection);
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            await source.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Closes the session and releases its data source.</summary>
    public async ValueTask DisposeAsync()
    {
        await Connection.DisposeAsync().ConfigureAwait(false);
        await _source.DisposeAsync().ConfigureAwait(false);
    }
}
