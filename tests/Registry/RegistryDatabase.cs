using Npgsql;
using RunbookHost.Registry;
using RunbookHost.Stores.Postgres;
using RunbookHost.Tests.Support;

namespace RunbookHost.Tests.Registry;

/// <summary>A registry on its own throwaway database, dropped at the end.</summary>
public sealed class RegistryDatabase : IAsyncLifetime
{
    public TenantRegistry Registry { get; } = new(TestServers.PostgresAdmin, TestServers.NewDatabaseName("rbh_registry_test"));

    public Task InitializeAsync() => Registry.EnsureSchemaAsync();

    public Task DisposeAsync() => Drop(Registry);

    public static async Task Drop(TenantRegistry registry)
    {
        await AdminDataSources.ReleaseAsync(registry.ConnectionString);
        await using var admin = new NpgsqlConnection(TestServers.PostgresAdmin);
        await admin.OpenAsync();
        await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS {PgSql.Ident(registry.Database)} WITH (FORCE)", admin);
        // DROP DATABASE checkpoints and fsyncs: on a loaded CI machine that outlasts Npgsql's default 30 s.
        drop.CommandTimeout = 300;
        await drop.ExecuteNonQueryAsync();
    }
}
