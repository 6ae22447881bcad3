using System.Collections;
using System.Reflection;
using Npgsql;

namespace RunbookHost.Tests.Support;

/// <summary>
/// The connection strings Npgsql keeps a data source for, process-wide, for the life of the process
/// (its internal PoolManager.Pools; read by reflection because Npgsql exposes no count). A test that
/// finds this table unreadable fails, rather than passing without looking.
/// </summary>
public static class NpgsqlPoolTable
{
    public static IReadOnlyList<string> ConnectionStrings()
    {
        var manager = typeof(NpgsqlConnection).Assembly.GetType("Npgsql.PoolManager")
            ?? throw new InvalidOperationException("Npgsql.PoolManager not found: this Npgsql version keeps its pools elsewhere");
        var pools = manager.GetProperty("Pools", BindingFlags.Static | BindingFlags.NonPublic | BindingFlags.Public)?.GetValue(null) as IDictionary
            ?? throw new InvalidOperationException("Npgsql.PoolManager.Pools not readable");
        return pools.Keys.Cast<string>().ToList();
    }
}
