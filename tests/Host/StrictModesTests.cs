using System.Net;
using System.Net.Sockets;

namespace RunbookHost.Tests.Host;

/// <summary>
/// Nothing another user could have written is trusted: configuration, runbooks, the compile cache and logs are refused
/// (exit 2, one line naming the file and the fix) when group or others may write them or a folder above them, or when
/// they belong to a user other than the one running the host or root. Tests run as root; "another user" is nobody.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public class StrictModesTests
{
    private const string Nobody = "65534";

    [Fact]
    public async Task ARunbookHostJsonPlantedInTheWorkingFolderIsNeverRead()
    {
        using var host = new HostProcess();
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var planted = Path.Combine(host.WorkDir, "runbook-host.json");
        File.WriteAllText(planted, $$$"""{"Redis": {"Configuration": "127.0.0.1:{{{port}}},user=runbookhost_admin,password=x"}}""");
        File.SetUnixFileMode(planted, (UnixFileMode)0b110_110_110);
        host.Environment["RUNBOOKHOST_Redis__Configuration"] = null; // nothing but the planted file could configure Redis

        var doctor = await host.Run("doctor");

        Assert.False(listener.Pending(), "the host connected to the address in the planted file");
        Assert.Matches(@"redis\s+not configured", doctor.StandardOutput);
        Assert.Contains("./runbook-host.json is not read", doctor.StandardError);
    }

    [Fact]
    public async Task AConfigFileGivenWithConfigIsRead()
    {
        using var host = new HostProcess();
        var config = Path.Combine(host.WorkDir, "trusted.json");
        File.WriteAllText(config, """{"Keys": {"RotationDays": 0}}""");

        var run = await host.Run("doctor", "--config", config);

        Assert.Equal(2, run.ExitCode); // its (deliberately invalid) value was read and refused
        Assert.Contains("Keys__RotationDays must be 1-3650", run.StandardError);
    }

    [Theory]
    [InlineData("646", "others")]
    [InlineData("620", "its group")]
    public async Task AConfigFileOthersMayWriteIsRefused(string mode, string who)
    {
        using var host = new HostProcess();
        var config = Path.Combine(host.WorkDir, "runbook-host.json");
        File.WriteAllText(config, "{}");
        File.SetUnixFileMode(config, Mode(mode));

        var run = await host.Run("doctor", "--config", config);

        Assert.Equal(2, run.ExitCode);
        Assert.Equal($"runbook-host: configuration file {config} is writable by {who}: run chmod go-w {config}", run.StandardError.Trim());
    }

    [Fact]
    public async Task AConfigFileOwnedByAnotherUserIsRefused()
    {
        using var host = new HostProcess();
        var config = Path.Combine(host.WorkDir, "runbook-host.json");
        File.WriteAllText(config, "{}");
        await Chown(config);

        var run = await host.Run("doctor", "--config", config);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains($"configuration file {config} is owned by uid {Nobody}, not by root or by the user running runbook-host (uid 0): run chown root {config}", run.StandardError);
    }

    [Fact]
    public async Task AConfigFileInAFolderOthersMayWriteIsRefused()
    {
        using var host = new HostProcess();
        var folder = Path.Combine(host.WorkDir, "shared-folder");
        Directory.CreateDirectory(folder);
        File.SetUnixFileMode(folder, Mode("777")); // not sticky: anyone may replace the file
        var config = Path.Combine(folder, "runbook-host.json");
        File.WriteAllText(config, "{}");

        var run = await host.Run("doctor", "--config", config);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains($"configuration file {config} is inside {folder}, which is writable by group and others: run chmod go-w {folder}", run.StandardError);
    }

    [Theory]
    [InlineData("", "777", "runbooks folder")]
    [InlineData("answer.csx", "666", "file in the runbooks folder")]
    [InlineData("shared", "775", "file in the runbooks folder")]
    [InlineData("shared/steps.csx", "664", "file in the runbooks folder")]
    [InlineData("runbooks.lock", "646", "file in the runbooks folder")]
    public async Task RunbooksOthersMayWriteAreRefused(string relative, string mode, string what)
    {
        using var host = await HostWithRunbooks();
        var path = Path.TrimEndingDirectorySeparator(Path.Combine(host.RunbooksDir, relative));
        File.SetUnixFileMode(path, Mode(mode));

        var run = await host.Run("run", "answer", "--tenant", "acme");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains($"{what} {path} is writable by ", run.StandardError);
        Assert.Contains($": run chmod go-w {path}", run.StandardError);
        Assert.False(Directory.Exists(host.EvidenceDir));
    }

    [Fact]
    public async Task ARunbookOwnedByAnotherUserIsRefused()
    {
        using var host = await HostWithRunbooks();
        var runbook = Path.Combine(host.RunbooksDir, "shared", "steps.csx");
        await Chown(runbook);

        var run = await host.Run("run", "answer", "--tenant", "acme");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains($"file in the runbooks folder {runbook} is owned by uid {Nobody}", run.StandardError);
    }

    [Fact]
    public async Task RunbooksBelowAFolderOthersMayWriteAreRefused()
    {
        using var host = await HostWithRunbooks();
        File.SetUnixFileMode(host.WorkDir, Mode("777"));

        var run = await host.Run("list");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains($"runbooks folder {host.RunbooksDir} is inside {host.WorkDir}, which is writable by group and others: run chmod go-w {host.WorkDir}", run.StandardError);
    }

    [Theory]
    [InlineData("cache")]
    [InlineData("logs")]
    public async Task ACacheOrLogFolderOthersMayWriteIsRefused(string which)
    {
        using var host = await HostWithRunbooks();
        var folder = which == "cache" ? host.CacheDir : host.LogsDir;
        Directory.CreateDirectory(folder);
        File.SetUnixFileMode(folder, Mode("777"));

        var run = await host.Run("run", "answer", "--tenant", "acme");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains($"{(which == "cache" ? "compile cache folder" : "log folder")} {folder} is writable by group and others: run chmod go-w {folder}", run.StandardError);
        Assert.False(Directory.Exists(host.EvidenceDir));
    }

    private static async Task<HostProcess> HostWithRunbooks()
    {
        var host = new HostProcess();
        Directory.CreateDirectory(Path.Combine(host.RunbooksDir, "shared"));
        host.WriteRunbook("answer.csx", RunbookSources.Answer);
        host.WriteRunbook("shared/steps.csx", RunbookSources.SharedSteps);
        await host.Lock();
        return host;
    }

    private static UnixFileMode Mode(string octal) => (UnixFileMode)Convert.ToInt32(octal, 8);

    private static async Task Chown(string path) =>
        await CliWrap.Cli.Wrap("chown").WithArguments([$"{Nobody}:{Nobody}", path]).ExecuteAsync();
}
