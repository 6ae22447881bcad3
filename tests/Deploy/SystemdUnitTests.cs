using CliWrap;
using CliWrap.Buffered;
using RunbookHost.Tests.Support;

namespace RunbookHost.Tests.Deploy;

/// <summary>deploy/systemd: the scheduler's unit as systemd reads it, and its environment file's placeholders.</summary>
public sealed class SystemdUnitTests : IDisposable
{
    private static readonly string Unit = Repository.PathOf("deploy/systemd/runbook-host-schedule.service");
    private readonly string _scratch = Directory.CreateTempSubdirectory("rbh-systemd-").FullName;

    public void Dispose() => Directory.Delete(_scratch, recursive: true);

    private static Dictionary<string, List<string>> Directives() =>
        File.ReadAllLines(Unit)
            .Where(l => l.Contains('=') && !l.TrimStart().StartsWith('#'))
            .GroupBy(l => l[..l.IndexOf('=')], l => l[(l.IndexOf('=') + 1)..])
            .ToDictionary(g => g.Key, g => g.ToList());

    [Fact]
    public async Task SystemdAcceptsEveryDirectiveOfTheUnit()
    {
        // verify also insists that ExecStart's program exists: the copy points it at one that does.
        var copy = Path.Combine(_scratch, "runbook-host-schedule.service");
        File.WriteAllText(copy, File.ReadAllText(Unit).Replace("/usr/local/bin/runbook-host ", "/bin/true ", StringComparison.Ordinal));
        var verify = await CliWrap.Cli.Wrap("systemd-analyze").WithArguments(["verify", copy])
            .WithValidation(CommandResultValidation.None).ExecuteBufferedAsync();
        Assert.True(verify.ExitCode == 0 && verify.StandardError.Trim().Length == 0, verify.StandardError);
    }

    [Fact]
    public void TheSchedulerRunsAsANotifyServiceThatOnlyWritesItsStateFolder()
    {
        var d = Directives();
        Assert.Equal(["notify"], d["Type"]);
        Assert.Contains("schedule", d["ExecStart"].Single().Split(' '));
        Assert.Equal(["yes"], d["NoNewPrivileges"]);
        Assert.Equal(["strict"], d["ProtectSystem"]);
        Assert.Equal(["/var/lib/runbook-host"], d["ReadWritePaths"]);
        Assert.Equal(["0077"], d["UMask"]);
        Assert.Equal([""], d["CapabilityBoundingSet"]);
        Assert.NotEqual("root", d["User"].Single());
        // systemd must not kill a job before the host's own shutdown timeout (600 s by default) lets it finish.
        Assert.True(int.Parse(d["TimeoutStopSec"].Single().TrimEnd('s')) > 600);
    }

    [Fact]
    public void TheSampleEnvironmentFileHoldsNoSecretOnlyPlaceholders()
    {
        var lines = File.ReadAllLines(Repository.PathOf("deploy/systemd/runbook-host.env.example"));
        var secretish = lines.Where(l => !l.StartsWith('#') && l.Contains('='))
            .SelectMany(l => l.Split([';', ','], StringSplitOptions.TrimEntries))
            .Where(p => p.StartsWith("Password=", StringComparison.OrdinalIgnoreCase) || p.StartsWith("password=", StringComparison.Ordinal)
                || p.Contains("Key=", StringComparison.Ordinal))
            .ToList();
        Assert.NotEmpty(secretish);
        Assert.All(secretish, p => Assert.EndsWith("=REPLACE_ME", p));
    }
}
