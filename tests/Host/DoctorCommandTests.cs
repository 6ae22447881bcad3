using RunbookHost.Tests.Support;

namespace RunbookHost.Tests.Host;

public class DoctorCommandTests
{
    [Fact]
    public async Task DoctorReportsEveryStoreOnOneLineAndPassesWhenConfiguredStoresAnswer()
    {
        using var host = new HostProcess();
        host.Environment["RUNBOOKHOST_Postgres__AdminConnectionString"] = TestServers.PostgresAdmin;
        host.Environment["RUNBOOKHOST_Redis__Configuration"] = TestServers.Redis;

        var run = await host.Run("doctor");

        Assert.True(run.ExitCode == 0, run.StandardOutput);
        var lines = run.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains(lines, l => l.StartsWith("ok    postgres", StringComparison.Ordinal) && l.Contains("server 15")
            && (l.Contains("SSL Mode=") || l.Contains("TLS ")) && !l.Contains("WARNING")); // loopback: no warning either way
        Assert.Contains(lines, l => l.StartsWith("ok    redis", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("ok    minio", StringComparison.Ordinal) && l.Contains("not configured"));
        Assert.Contains(lines, l => l.StartsWith("ok    qdrant", StringComparison.Ordinal) && l.Contains("not configured"));
    }

    [Fact]
    public async Task DoctorWarnsWhenAFailedNightlyRunWouldReachNobodyWithoutFailing()
    {
        using var host = new HostProcess();
        host.Environment["RUNBOOKHOST_Schedule__MetricsAddress"] = "off";

        var nobody = await host.Run("doctor");

        Assert.Equal(0, nobody.ExitCode);
        Assert.Contains(nobody.StandardOutput.Split('\n'), l => l.StartsWith("warn  notify", StringComparison.Ordinal) && l.Contains("reaches nobody"));

        host.Environment["RUNBOOKHOST_Schedule__WebhookUrl"] = "https://hooks.example.invalid/runbook-host";
        var webhook = await host.Run("doctor");
        Assert.DoesNotContain("warn  notify", webhook.StandardOutput);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task DoctorReportsWhetherPublicMayConnectToTheSystemDatabasesEitherWay(bool hardening)
    {
        using var host = new HostProcess();
        host.Environment["RUNBOOKHOST_Postgres__AdminConnectionString"] = TestServers.PostgresAdmin;
        host.Environment["RUNBOOKHOST_Postgres__HardenSystemDatabases"] = hardening ? "true" : "false";
        var open = (await new RunbookHost.Stores.Postgres.PostgresTenantStore(TestServers.PostgresAdmin).PublicConnectAsync()).Any(p => p.Value);

        var run = await host.Run("doctor");

        var line = Assert.Single(run.StandardOutput.Split('\n'), l => l.Contains("pg-public", StringComparison.Ordinal));
        Assert.Contains($"HardenSystemDatabases {(hardening ? "on" : "off")}", line);
        Assert.Contains(open ? "PUBLIC may CONNECT to" : "revoked from PUBLIC", line);
        Assert.StartsWith(open && hardening ? "FAIL" : "ok", line);
    }

    [Fact]
    public async Task AConfiguredStoreThatDoesNotAnswerFailsTheDoctorWithExitOne()
    {
        using var host = new HostProcess();
        host.Environment["RUNBOOKHOST_Postgres__AdminConnectionString"] = "Host=127.0.0.1;Port=9;Username=x;Password=y;Timeout=2";

        var run = await host.Run("doctor");

        Assert.Equal(1, run.ExitCode);
        Assert.Contains(run.StandardOutput.Split('\n'), l => l.StartsWith("FAIL  postgres", StringComparison.Ordinal));
        Assert.DoesNotContain("Password=y", run.StandardOutput + run.StandardError);
    }
}
