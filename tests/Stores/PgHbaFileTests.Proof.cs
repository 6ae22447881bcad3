using Npgsql;
using RunbookHost.Stores;
using RunbookHost.Stores.Postgres;
using RunbookHost.Tenants;
using RunbookHost.Tests.Support;

namespace RunbookHost.Tests.Stores;

/// <summary>pg_hba.conf proven on the real server: the first matching line decides, a catch-all after the tenant's line fails.</summary>
public partial class PgHbaFileTests
{
    private static async Task AppendAndReloadAsync(string path, string line)
    {
        await File.AppendAllTextAsync(path, line + "\n");
        await using var conn = new NpgsqlConnection(TestServers.PostgresAdmin);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand("SELECT pg_reload_conf()", conn);
        await cmd.ExecuteScalarAsync();
    }

    /// <summary>Runs <paramref name="test"/> with a random tenant's line in the real file; the original file is always written back and reloaded.</summary>
    private static async Task WithTenantLineAsync(Func<string, PgHbaFile, TenantId, int, Task> test)
    {
        var path = await HbaPathAsync();
        var original = await File.ReadAllBytesAsync(path);
        var hba = new PgHbaFile(path, Policy, TestServers.PostgresAdmin);
        var tenant = TestServers.NewTenantId();
        var octet = RandomOctet();
        try
        {
            await hba.AllowAsync(tenant, octet);
            await test(path, hba, tenant, octet);
        }
        finally
        {
            await RestoreAsync(path, original);
        }
    }

    [Fact]
    public Task TheTenantLineAloneProvesAllFourAndACatchAllAfterItFailsOutsideAndOtherDatabase() => WithTenantLineAsync(async (path, hba, tenant, octet) =>
    {
        var clean = (await hba.ProveAsync(tenant, octet)).ToDictionary(c => c.Test);
        Assert.All(clean.Values, c => Assert.True(c.Pass, $"{c.Test}: {c.Result} {c.Detail}"));
        Assert.Equal(4, clean.Count);

        // An operator's catch-all, below the tenant's line: the tenant's line still matches first from its own
        // network, but from anywhere else the catch-all admits the tenant role, to any database.
        await AppendAndReloadAsync(path, "host all all 0.0.0.0/0 scram-sha-256");
        var lines = File.ReadAllLines(path).Length; // the catch-all is the last physical line
        var caught = (await hba.ProveAsync(tenant, octet)).ToDictionary(c => c.Test);
        Assert.True(caught[PgHbaFile.OwnNetworkTest].Pass, caught[PgHbaFile.OwnNetworkTest].Detail);
        Assert.True(caught[PgHbaFile.LoadedTest].Pass, caught[PgHbaFile.LoadedTest].Detail);
        foreach (var test in new[] { PgHbaFile.OutsideNetworkTest, PgHbaFile.OtherDatabaseTest })
        {
            Assert.False(caught[test].Pass, caught[test].Detail);
            Assert.Equal(CheckResults.Fail, caught[test].Result);
            Assert.Contains($"line {lines} admits", caught[test].Detail);
        }
        // The old presence check cannot tell: the tenant's line is there and before every catch-all.
        Assert.True((await hba.VerifyAsync(tenant, octet)).Pass);
    });

    [Fact]
    public Task AFileChangedAfterTheLastReloadIsNotTakenForWhatTheServerRuns() => WithTenantLineAsync(async (path, hba, tenant, octet) =>
    {
        await File.AppendAllTextAsync(path, "# edited without a reload\n");
        // Dated after any reload another process on this server might make meanwhile.
        File.SetLastWriteTimeUtc(path, DateTime.UtcNow.AddHours(1));
        var loaded = (await hba.ProveAsync(tenant, octet)).Single(c => c.Test == PgHbaFile.LoadedTest);
        Assert.False(loaded.Pass);
        Assert.Contains("pg_reload_conf", loaded.Detail);
    });
}
