using System.Collections.Concurrent;
using Npgsql;

namespace RunbookHost.Stores.Postgres;

/// <summary>
/// One pooled data source per admin-level connection string (the admin database, the registry database):
/// a handful per process, never one per tenant (those sessions use <see cref="UnpooledSession"/>). Built
/// here rather than by <c>new NpgsqlConnection(cs)</c> so that Npgsql's type loading, a catalog query and
/// a noticeable share of a single run's start-up, is skipped: these sessions use only built-in types.
/// </summary>
public static class AdminDataSources
{
    private static readonly ConcurrentDictionary<string, Lazy<NpgsqlDataSource>> Sources = new(StringComparer.Ordinal);

    /// <summary>Opens a pooled connection for <paramref name="connectionString"/>.</summary>
    public static async Task<NpgsqlConnection> OpenAsync(string connectionString, CancellationToken cancellationToken)
    {
        using var timing = RunbookHost.Diagnostics.TimingTrace.Measure("postgres: open admin/registry (pooled)");
        return await For(connectionString).OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The shared data source for <paramref name="connectionString"/>, built on first use.</summary>
    public static NpgsqlDataSource For(string connectionString) =>
        Sources.GetOrAdd(connectionString, cs => new Lazy<NpgsqlDataSource>(() => BuildWithoutTypeLoading(cs, unpooled: false))).Value;

    /// <summary>Closes and forgets the pool for <paramref name="connectionString"/>, e.g. before its database is dropped.</summary>
    public static async Task ReleaseAsync(string connectionString)
    {
        if (Sources.TryRemove(connectionString, out var source) && source.IsValueCreated)
            await source.Value.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>A data source that uses only Npgsql's built-in types (no catalog query per data source); also used by <see cref="UnpooledSession"/>.</summary>
    internal static NpgsqlDataSource BuildWithoutTypeLoading(string connectionString, bool unpooled)
    {
        var builder = new NpgsqlDataSourceBuilder(connectionString);
        if (unpooled)
            builder.ConnectionStringBuilder.Pooling = false;
        builder.ConfigureTypeLoading(types => types.EnableTypeLoading(false));
        return builder.Build();
    }
}
