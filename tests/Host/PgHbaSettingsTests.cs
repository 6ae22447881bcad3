using RunbookHost.Tests.Support;

namespace RunbookHost.Tests.Host;

/// <summary>Bad pg_hba settings stop the host at start (exit 2) with a message naming the setting.</summary>
public class PgHbaSettingsTests
{
    [Theory]
    [InlineData("RUNBOOKHOST_Postgres__HbaMethod", "trust", "trust and password are refused")]
    [InlineData("RUNBOOKHOST_Postgres__HbaMethod", "password", "trust and password are refused")]
    [InlineData("RUNBOOKHOST_Postgres__HbaCidrTemplate", "0.0.0.0/0", "{octet} exactly once")]
    [InlineData("RUNBOOKHOST_Postgres__HbaCidrTemplate", "10.{octet}.0.1/16", "not a network address")]
    [InlineData("RUNBOOKHOST_Postgres__HbaFile", "pg_hba.conf", "must be an absolute path")]
    public async Task BadPgHbaSettingsAreRefusedAtStart(string name, string value, string message)
    {
        using var host = new HostProcess();
        host.WriteRunbook("answer.csx", RunbookSources.Answer);
        await host.Lock();
        host.Environment["RUNBOOKHOST_Postgres__AdminConnectionString"] = TestServers.PostgresAdmin;
        host.Environment[name] = value;
        var run = await host.Run("run", "answer", "--tenant", "acme");
        Assert.Equal(2, run.ExitCode);
        Assert.Contains(message, run.StandardError, StringComparison.Ordinal);
        Assert.False(Directory.Exists(host.EvidenceDir));
    }
}
