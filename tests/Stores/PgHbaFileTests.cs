using System.Security.Cryptography;
using Npgsql;
using RunbookHost.IO;
using RunbookHost.Stores;
using RunbookHost.Stores.Postgres;
using RunbookHost.Tenants;
using RunbookHost.Tests.Support;

namespace RunbookHost.Tests.Stores;

/// <summary>
/// Against the real server's pg_hba.conf (SHOW hba_file). Each test saves the file, edits it briefly with a
/// random tenant and a 10.x network nobody connects from (tests connect from 127.0.0.1), and always writes
/// the original back and reloads in finally. All tests are in this one class, so they never edit the file at once.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public partial class PgHbaFileTests
{
    private static readonly PgHbaPolicy Policy = PgHbaPolicy.Create(null, null);

    private static async Task<string> HbaPathAsync()
    {
        await using var conn = new NpgsqlConnection(TestServers.PostgresAdmin);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand("SHOW hba_file", conn);
        return (string)(await cmd.ExecuteScalarAsync())!;
    }

    private static async Task<List<PgHbaFile.HbaRule>> RulesAsync(TenantId tenant)
    {
        await using var conn = new NpgsqlConnection(TestServers.PostgresAdmin);
        await conn.OpenAsync();
        return await PgHbaFile.ReadTenantRulesAsync(conn, tenant, CancellationToken.None);
    }

    private static async Task<List<(int? Line, string Error)>> ErrorsAsync()
    {
        await using var conn = new NpgsqlConnection(TestServers.PostgresAdmin);
        await conn.OpenAsync();
        return await PgHbaFile.ReadErrorsAsync(conn, CancellationToken.None);
    }

    /// <summary>Writes the saved bytes back in place (owner and mode stay as they are) and reloads.</summary>
    private static async Task RestoreAsync(string path, byte[] original)
    {
        if (!File.ReadAllBytes(path).AsSpan().SequenceEqual(original))
            await File.WriteAllBytesAsync(path, original);
        await using var conn = new NpgsqlConnection(TestServers.PostgresAdmin);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand("SELECT pg_reload_conf()", conn);
        await cmd.ExecuteScalarAsync();
    }

    private static int RandomOctet() => RandomNumberGenerator.GetInt32(1, 255);

    [Fact]
    public async Task TenantLineIsAddedSeenByTheServerAndRemovedAgain()
    {
        var path = await HbaPathAsync();
        var original = await File.ReadAllBytesAsync(path);
        var mode = File.GetUnixFileMode(path);
        var owner = FileOwner.Get(path);
        var hba = new PgHbaFile(path, Policy, TestServers.PostgresAdmin);
        var tenant = TestServers.NewTenantId();
        var octet = RandomOctet();
        try
        {
            await hba.AllowAsync(tenant, octet);

            var rule = Assert.Single(await RulesAsync(tenant));
            Assert.Null(rule.Error);
            Assert.Equal("host", rule.Type);
            Assert.Equal([TenantStoreNames.PostgresDatabase(tenant)], rule.Databases);
            Assert.Equal([TenantStoreNames.PostgresRole(tenant)], rule.Users);
            Assert.Equal($"10.{octet}.0.0", rule.Address);
            Assert.Equal("255.255.0.0", rule.Netmask);
            Assert.Equal("scram-sha-256", rule.Method);
            Assert.Empty(await ErrorsAsync());
            var check = await hba.VerifyAsync(tenant, octet);
            Assert.True(check.Pass, $"{check.Result} {check.Detail}");
            Assert.Equal(CheckResults.Pass, check.Result);

            // mode and owner (postgres) kept; the block sits before the catch-all
            Assert.Equal(mode, File.GetUnixFileMode(path));
            Assert.Equal(owner, FileOwner.Get(path));
            var text = await File.ReadAllTextAsync(path);
            Assert.Contains($"{PgHbaText.BeginMarker}\nhost {TenantStoreNames.PostgresDatabase(tenant)} {TenantStoreNames.PostgresRole(tenant)} 10.{octet}.0.0/16 scram-sha-256\n", text, StringComparison.Ordinal);

            Assert.False((await hba.VerifyAbsentAsync(tenant)).Pass);

            // idempotent
            var once = await File.ReadAllBytesAsync(path);
            await hba.AllowAsync(tenant, octet);
            Assert.Equal(once, await File.ReadAllBytesAsync(path));

            // a wrong octet is reported by the check
            var wrong = await hba.VerifyAsync(tenant, octet == 254 ? 1 : octet + 1);
            Assert.False(wrong.Pass);

            await hba.RemoveAsync(tenant);
            Assert.Empty(await RulesAsync(tenant));
            Assert.Empty(await ErrorsAsync());
            Assert.False((await hba.VerifyAsync(tenant, octet)).Pass);
            Assert.DoesNotContain(TenantStoreNames.PostgresDatabase(tenant), await File.ReadAllTextAsync(path), StringComparison.Ordinal);
            Assert.True((await hba.VerifyAbsentAsync(tenant)).Pass);
            await hba.RemoveAsync(tenant); // absent is fine
        }
        finally
        {
            await RestoreAsync(path, original);
        }
        Assert.Equal(original, await File.ReadAllBytesAsync(path));
        Assert.Empty(await ErrorsAsync());
    }

    [Fact]
    public async Task AnInvalidMethodIsRejectedBeforeTheFileIsRead()
    {
        var path = await HbaPathAsync();
        var original = await File.ReadAllBytesAsync(path);
        var written = File.GetLastWriteTimeUtc(path);
        var tenant = TestServers.NewTenantId();
        try
        {
            Assert.Throws<ArgumentException>(() => PgHbaPolicy.Create(null, "trust"));
            // even a policy that skipped validation cannot produce the line
            foreach (var (template, method) in new[] { ("10.{octet}.0.0/16", "trust"), ("10.{octet}.0.0/16", "scram-sha-256\nhost all all 0.0.0.0/0 trust"), ("0.0.0.0/0 {octet}", "md5") })
            {
                var hba = new PgHbaFile(path, PgHbaPolicy.Unchecked(template, method), TestServers.PostgresAdmin);
                await Assert.ThrowsAnyAsync<ArgumentException>(() => hba.AllowAsync(tenant, RandomOctet()));
            }
            Assert.Equal(original, await File.ReadAllBytesAsync(path));
            Assert.Equal(written, File.GetLastWriteTimeUtc(path));
        }
        finally
        {
            await RestoreAsync(path, original);
        }
    }

    [Fact]
    public async Task AFileThePostgresRejectsIsRolledBack()
    {
        var path = await HbaPathAsync();
        var original = await File.ReadAllBytesAsync(path);
        var mode = File.GetUnixFileMode(path);
        var owner = FileOwner.Get(path);
        var tenant = TestServers.NewTenantId();
        var octet = RandomOctet();
        var hba = new PgHbaFile(path, Policy, TestServers.PostgresAdmin)
        {
            // the seam: what gets written has an authentication method PostgreSQL does not know
            BeforeWrite = text => text.Replace($"10.{octet}.0.0/16 scram-sha-256", $"10.{octet}.0.0/16 no-such-method", StringComparison.Ordinal),
        };
        try
        {
            var error = await Assert.ThrowsAsync<PgHbaException>(() => hba.AllowAsync(tenant, octet));
            Assert.Contains("PostgreSQL rejects the edited file", error.Message, StringComparison.Ordinal);
            Assert.Contains("restored", error.Message, StringComparison.Ordinal);

            Assert.Equal(original, await File.ReadAllBytesAsync(path));
            Assert.Equal(mode, File.GetUnixFileMode(path));
            Assert.Equal(owner, FileOwner.Get(path));
            Assert.Empty(await ErrorsAsync());
            Assert.Empty(await RulesAsync(tenant));
        }
        finally
        {
            await RestoreAsync(path, original);
        }
    }

    [Fact]
    public async Task AFileTheServerDoesNotReadIsRolledBack()
    {
        // HbaFile pointing at a copy: the write succeeds, but pg_hba_file_rules does not show the line
        var path = await HbaPathAsync();
        var folder = Directory.CreateTempSubdirectory("pghba-");
        try
        {
            var copy = Path.Combine(folder.FullName, "pg_hba.conf");
            File.Copy(path, copy);
            var before = await File.ReadAllBytesAsync(copy);
            var hba = new PgHbaFile(copy, Policy, TestServers.PostgresAdmin);
            var error = await Assert.ThrowsAsync<PgHbaException>(() => hba.AllowAsync(TestServers.NewTenantId(), RandomOctet()));
            Assert.Contains("SHOW hba_file", error.Message, StringComparison.Ordinal);
            Assert.Equal(before, await File.ReadAllBytesAsync(copy));
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }
}
