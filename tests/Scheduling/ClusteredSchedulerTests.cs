using RunbookHost.Tests.Host;

namespace RunbookHost.Tests.Scheduling;

/// <summary>Real `runbook-host schedule` processes against a real PostgreSQL: the clustered job store and graceful stop.</summary>
public class ClusteredSchedulerTests
{
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(60);

    private static async Task<HostProcess> SecondHost(ScheduleHost first)
    {
        // Another machine: its own runbooks copy, secrets, evidence and cache; the same registry and configuration.
        var second = new HostProcess();
        foreach (var (key, value) in first.Host.Environment)
            second.Environment[key] = value;
        foreach (var file in Directory.GetFiles(first.Host.RunbooksDir, "*.csx"))
            File.Copy(file, Path.Combine(second.RunbooksDir, Path.GetFileName(file)));
        await second.Lock();
        return second;
    }

    [Fact]
    public async Task TwoSchedulerProcessesOnOneDatabaseRunEachFiringExactlyOnce()
    {
        await using var schedule = new ScheduleHost();
        schedule.Host.WriteRunbook("tick.csx", ScheduleRunbooks.Tick);
        await schedule.Host.Lock();
        var tenant = (await schedule.RegisterActive(1))[0];
        schedule.Job(0, "every-two-seconds", "tick", "0/2 * * * * ?", "all");
        schedule.Host.Environment["RUNBOOKHOST_Schedule__CheckinIntervalSeconds"] = "2";
        using var secondHost = await SecondHost(schedule);
        // Compile the runbook into each host's cache first, so every firing takes milliseconds (no registry: nothing recorded).
        foreach (var host in new[] { schedule.Host, secondHost })
        {
            var warm = await host.Run("run", "tick", "--tenant", "warmup", "--runbooks", "runbooks");
            Assert.True(warm.ExitCode == 0 || warm.ExitCode == 1, warm.StandardError);
        }

        using var a = new BackgroundHost(schedule.Host, "schedule");
        using var b = new BackgroundHost(secondHost, "schedule");
        await a.WaitForOutput("scheduler ", TimeSpan.FromSeconds(60));
        await b.WaitForOutput("scheduler ", TimeSpan.FromSeconds(60));
        await Task.Delay(TimeSpan.FromSeconds(12));
        var (exitA, exitB) = (await a.Terminate(StopTimeout), await b.Terminate(StopTimeout));

        Assert.True(exitA == 0, a.Output);
        Assert.True(exitB == 0, b.Output);
        var firings = (await schedule.ScheduledJobEvents()).Where(e => e["job"]!.GetValue<string>() == "every-two-seconds").ToList();
        var fireTimes = firings.Select(e => e["scheduled_fire_time"]!.GetValue<string>()).ToList();
        var runs = (await schedule.Runs()).Where(r => r.Tenant == tenant.Value).ToList();
        var evidence = new[] { schedule.Host, secondHost }
            .SelectMany(h => Directory.Exists(Path.Combine(h.EvidenceDir, tenant.Value)) ? Directory.GetFiles(Path.Combine(h.EvidenceDir, tenant.Value), "*.json") : [])
            .ToList();
        var diagnostics = $"fire times: {string.Join(", ", fireTimes)}\n--- host A\n{a.Output}\n--- host B\n{b.Output}";

        Assert.True(firings.Count >= 4, diagnostics);                        // ~6 firings in 12 s
        Assert.True(fireTimes.Distinct().Count() == fireTimes.Count, diagnostics); // no fire time ran twice
        Assert.All(fireTimes, t => Assert.Equal(0, DateTimeOffset.Parse(t, System.Globalization.CultureInfo.InvariantCulture).Second % 2));
        Assert.True(runs.Count == firings.Count, diagnostics);              // N firings -> N runs
        Assert.All(runs, r => Assert.Equal("succeeded", r.Status));          // graceful stop: nothing left running
        Assert.Equal(runs.Count, evidence.Count);
        Assert.All(firings, f => Assert.Equal(1, f["passed"]!.GetValue<int>()));
        // Both hosts joined one cluster (each with its own generated instance id).
        var instances = new[] { a.Output, b.Output }
            .Select(o => System.Text.RegularExpressions.Regex.Match(o, "scheduler (\\S+) started").Groups[1].Value).ToList();
        Assert.All(instances, i => Assert.NotEqual("", i));
        Assert.NotEqual(instances[0], instances[1]);
        Assert.All(firings, f => Assert.Contains(f["scheduler_instance"]!.GetValue<string>(), instances));
    }

    [Fact]
    public async Task SigtermWaitsForTheRunningJobToFinishBeforeTheProcessExits()
    {
        await using var schedule = new ScheduleHost();
        schedule.Host.WriteRunbook("slow.csx", ScheduleRunbooks.Slow);
        await schedule.Host.Lock();
        var tenant = (await schedule.RegisterActive(1))[0];
        schedule.Job(0, "slow-job", "slow", "0/2 * * * * ?", "ids:" + tenant.Value);

        using var host = new BackgroundHost(schedule.Host, "schedule");
        await host.WaitForOutput("job slow-job fired", TimeSpan.FromSeconds(90));
        var exit = await host.Terminate(StopTimeout);

        Assert.True(exit == 0, host.Output);
        Assert.Contains("job slow-job finished passed: 1 passed, 0 failed, 0 incomplete, 0 skipped", host.Output);
        Assert.True(host.Output.IndexOf("job slow-job finished", StringComparison.Ordinal) < host.Output.IndexOf("Shutdown complete", StringComparison.Ordinal), host.Output);
        var run = Assert.Single(await schedule.Runs());
        Assert.Equal("succeeded", run.Status);
        var firing = Assert.Single(await schedule.ScheduledJobEvents());
        Assert.Equal(1, firing["passed"]!.GetValue<int>());
    }
}
