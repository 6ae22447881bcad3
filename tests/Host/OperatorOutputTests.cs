using System.Diagnostics;
using CliWrap.Buffered;

namespace RunbookHost.Tests.Host;

/// <summary>What an operator sees when several tenants run at once: every line names its tenant, progress on a terminal, a closing table.</summary>
public sealed class OperatorOutputTests
{
    private const string Slow = """
        // @runbook  slow
        // @version  1.0.0
        // @summary  Takes a moment per tenant
        await Step("1. wait", new RunbookOperation(new[] { $"wait for {Tenant.Value}" }, _ => Task.Delay(400)));
        return null;
        """;

    [Fact]
    public async Task EveryLineOfAMultiTenantRunNamesItsTenantAndTheSummaryCountsEachResult()
    {
        using var host = new HostProcess();
        host.WriteRunbook("slow.csx", Slow);
        await host.Lock();

        var quiet = await host.Run("run", "slow", "--tenant", "acme", "--tenant", "globex");
        Assert.Equal(0, quiet.ExitCode);
        Assert.DoesNotContain("1. wait", quiet.StandardError); // quiet is the default for several tenants
        Assert.Matches("(?m)^acme\\s+passed", quiet.StandardOutput);
        Assert.Contains("2 tenants: 2 passed, 0 failed, 0 incomplete", quiet.StandardOutput);

        var verbose = await host.Run("run", "slow", "--tenant", "acme", "--tenant", "globex", "--verbose");
        var stepLines = verbose.StandardError.Split('\n').Where(l => l.Contains("1. wait", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, stepLines.Count);
        Assert.Contains(stepLines, l => l.Contains(" acme: 1. wait", StringComparison.Ordinal));
        Assert.Contains(stepLines, l => l.Contains(" globex: 1. wait", StringComparison.Ordinal));
        Assert.All(verbose.StandardError.Split('\n').Where(l => l.Contains(" INF ", StringComparison.Ordinal)),
            l => Assert.Matches(" INF (acme|globex): ", l));
    }

    [Fact]
    public async Task OnATerminalAFleetRunShowsDoneTotalFailuresRateAndTimeLeft()
    {
        using var host = new HostProcess();
        host.WriteRunbook("slow.csx", Slow);
        await host.Lock();
        var tenants = Enumerable.Range(0, 8).SelectMany(i => new[] { "--tenant", $"tenant{i:00}" });
        var session = "rbh" + Guid.NewGuid().ToString("N")[..8];
        var environment = string.Join(' ', new Dictionary<string, string>
        {
            ["RUNBOOKHOST_Paths__Secrets"] = host.SecretsDir,
            ["RUNBOOKHOST_Paths__Evidence"] = host.EvidenceDir,
            ["RUNBOOKHOST_Paths__Cache"] = Path.Combine(host.WorkDir, ".cache", "runbooks"),
            ["RUNBOOKHOST_Paths__Logs"] = Path.Combine(host.WorkDir, ".cache", "logs"),
            ["RUNBOOKHOST_Run__Parallelism"] = "1",
            // tmux starts the command with the test runner's environment: no store and no registry of the developer's.
            ["RUNBOOKHOST_Postgres__AdminConnectionString"] = "",
            ["RUNBOOKHOST_Redis__Configuration"] = "",
        }.Select(p => $"{p.Key}='{p.Value}'"));
        var command = $"cd '{host.WorkDir}' && env {environment} dotnet '{HostProcess.HostDll}' run slow {string.Join(' ', tenants)}; echo EXITED $?; sleep 30";
        await Tmux("new-session", "-d", "-s", session, "-x", "160", "-y", "40", command);
        try
        {
            var seen = new List<string>();
            var clock = Stopwatch.StartNew();
            while (clock.Elapsed < TimeSpan.FromSeconds(60))
            {
                var screen = (await Tmux("capture-pane", "-p", "-t", session)).StandardOutput;
                seen.Add(screen);
                if (screen.Contains("EXITED", StringComparison.Ordinal))
                    break;
                await Task.Delay(150);
            }
            var all = string.Join('\n', seen);
            Assert.Contains("EXITED 0", all);
            Assert.Matches(@"slow: [1-7]/8 tenants, 0 failed, 0 incomplete, [0-9.]+/s, ~\d\d:\d\d left", all);
            Assert.Contains("8 tenants: 8 passed, 0 failed, 0 incomplete", all);
        }
        finally
        {
            await Tmux("kill-session", "-t", session);
        }
    }

    private static Task<BufferedCommandResult> Tmux(params string[] args) =>
        CliWrap.Cli.Wrap("tmux").WithArguments(args).WithValidation(CliWrap.CommandResultValidation.None).ExecuteBufferedAsync();
}
