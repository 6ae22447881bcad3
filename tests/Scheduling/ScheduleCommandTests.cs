using System.Text.Json.Nodes;
using RunbookHost.Tests.Host;

namespace RunbookHost.Tests.Scheduling;

public class ScheduleCommandTests
{
    [Fact]
    public async Task ABadCronExpressionIsRefusedWithOneLineAndExitCodeTwo()
    {
        using var host = new HostProcess();
        host.WriteRunbook("tick.csx", ScheduleRunbooks.Tick);
        await host.Lock();
        host.Environment["RUNBOOKHOST_Schedule__Jobs__0__Name"] = "broken";
        host.Environment["RUNBOOKHOST_Schedule__Jobs__0__Runbook"] = "tick";
        host.Environment["RUNBOOKHOST_Schedule__Jobs__0__Cron"] = "every night at two";

        foreach (var args in new[] { new[] { "schedule" }, ["schedule", "--list"], ["schedule", "--run-now", "broken"] })
        {
            var result = await host.Run(args);

            Assert.Equal(2, result.ExitCode);
            var line = Assert.Single(result.StandardError.Split('\n', StringSplitOptions.RemoveEmptyEntries));
            Assert.StartsWith("runbook-host: schedule job 'broken': cron 'every night at two' is not a valid Quartz cron expression", line);
            Assert.Equal("", result.StandardOutput);
        }
    }

    [Fact]
    public async Task AJobNamingAnUnknownRunbookIsRefusedWithOneLineAndExitCodeTwo()
    {
        using var host = new HostProcess();
        host.WriteRunbook("tick.csx", ScheduleRunbooks.Tick);
        await host.Lock();
        host.Environment["RUNBOOKHOST_Schedule__Jobs__0__Name"] = "ghost";
        host.Environment["RUNBOOKHOST_Schedule__Jobs__0__Runbook"] = "no-such-runbook";
        host.Environment["RUNBOOKHOST_Schedule__Jobs__0__Cron"] = "0 0 2 * * ?";

        var result = await host.Run("schedule");

        Assert.Equal(2, result.ExitCode);
        var line = Assert.Single(result.StandardError.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal("runbook-host: schedule job 'ghost': no runbook named 'no-such-runbook' in runbooks/ (see `runbook-host list`)", line);
    }

    [Theory]
    [InlineData("Tenants", "everyone", "tenants must be all, due-for-rotation, status:<status> or ids:<id>,<id>…")]
    [InlineData("Tenants", "status:sleeping", "tenants 'status:<status>' takes provisioning, active, deprovisioning, deprovisioned or failed")]
    [InlineData("Params__colour", "red", "runbook tick has no parameter 'colour'")]
    [InlineData("Name", "Nightly Verify", "name must be 1-63 of a-z, 0-9 and '-'")]
    public async Task EveryOtherInvalidJobSettingIsRefusedBeforeAnythingStarts(string setting, string value, string expected)
    {
        using var host = new HostProcess();
        host.WriteRunbook("tick.csx", ScheduleRunbooks.Tick);
        await host.Lock();
        host.Environment["RUNBOOKHOST_Schedule__Jobs__0__Name"] = "job";
        host.Environment["RUNBOOKHOST_Schedule__Jobs__0__Runbook"] = "tick";
        host.Environment["RUNBOOKHOST_Schedule__Jobs__0__Cron"] = "0 0 2 * * ?";
        host.Environment["RUNBOOKHOST_Schedule__Jobs__0__" + setting] = value;

        var result = await host.Run("schedule", "--list");

        Assert.Equal(2, result.ExitCode);
        var line = Assert.Single(result.StandardError.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains(expected, line);
    }

    [Fact]
    public async Task ListShowsEveryConfiguredJobWithItsNextFireTimeWithoutStartingAScheduler()
    {
        using var host = new HostProcess();
        host.WriteRunbook("tick.csx", ScheduleRunbooks.Tick);
        await host.Lock();
        host.Environment["RUNBOOKHOST_Schedule__Jobs__0__Name"] = "hourly-tick";
        host.Environment["RUNBOOKHOST_Schedule__Jobs__0__Runbook"] = "tick";
        host.Environment["RUNBOOKHOST_Schedule__Jobs__0__Cron"] = "0 15 * * * ?";
        host.Environment["RUNBOOKHOST_Schedule__Jobs__0__Tenants"] = "ids:acme,globex";

        var before = DateTimeOffset.UtcNow;
        var result = await host.Run("schedule", "--list");

        Assert.True(result.ExitCode == 0, result.StandardError);
        var lines = result.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("cron time zone: UTC", lines[0]);
        Assert.StartsWith("JOB", lines[1]);
        var row = lines[2].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["hourly-tick", "tick", "ids:acme,globex"], row[..3]);
        var next = DateTimeOffset.Parse(row[^2], System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(15, next.UtcDateTime.Minute);
        Assert.Equal(0, next.UtcDateTime.Second);
        Assert.InRange(next, before, before.AddHours(1).AddMinutes(1));
        // No registry was configured: --list needs none, and started nothing that would.
        Assert.DoesNotContain("Quartz", result.StandardError);
    }

    [Fact]
    public async Task WithNoJobsConfiguredTheThreeDefaultJobsAreScheduled()
    {
        using var host = new HostProcess();
        host.WriteRunbook("verify.csx", ScheduleRunbooks.Verify);
        host.WriteRunbook("rotate-keys.csx", ScheduleRunbooks.RotateKeys);
        host.WriteRunbook("purge-archived-keys.csx", ScheduleRunbooks.PurgeArchivedKeys);
        await host.Lock();

        var result = await host.Run("schedule", "--list");

        Assert.True(result.ExitCode == 0, result.StandardError);
        var rows = result.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries)[2..]
            .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)).ToList();
        Assert.Equal(["nightly-verify", "rotation-due", "purge-archived-keys"], rows.Select(r => r[0]));
        Assert.Equal(["verify", "rotate-keys", "purge-archived-keys"], rows.Select(r => r[1]));
        Assert.Equal(["all", "due-for-rotation", "all"], rows.Select(r => r[2]));
        Assert.Equal("reason=scheduled", rows[1][^1]);
        var nightly = DateTimeOffset.Parse(rows[0][^2], System.Globalization.CultureInfo.InvariantCulture).UtcDateTime;
        Assert.Equal((2, 0, 0), (nightly.Hour, nightly.Minute, nightly.Second));
    }

    [Fact]
    public async Task RunNowRunsTheJobOnceForEachSelectedTenantAndReportsEachResult()
    {
        await using var schedule = new ScheduleHost();
        schedule.Host.WriteRunbook("tick.csx", ScheduleRunbooks.Tick);
        await schedule.Host.Lock();
        var tenants = await schedule.RegisterActive(3);
        schedule.Job(0, "tick-all", "tick", "0 0 2 * * ?", "all");

        var result = await schedule.Host.Run("schedule", "--run-now", "tick-all");

        Assert.True(result.ExitCode == 0, result.StandardError);
        foreach (var tenant in tenants)
            Assert.Matches($"(?m)^{tenant.Value}\\s+passed\\s+{System.Text.RegularExpressions.Regex.Escape(schedule.Host.EvidenceDir)}/{tenant.Value}/", result.StandardOutput);
        Assert.Contains("3 tenants: 3 passed, 0 failed, 0 incomplete, 0 skipped: passed", result.StandardOutput);
        var runs = await schedule.Runs();
        Assert.Equal(tenants.Select(t => t.Value).Order(), runs.Select(r => r.Tenant!).Order());
        Assert.All(runs, r => Assert.Equal(("tick", "succeeded"), (r.Runbook, r.Status)));
        var audit = Assert.Single(await schedule.ScheduledJobEvents());
        Assert.Equal("tick-all", audit["job"]!.GetValue<string>());
        Assert.Equal("run-now", audit["trigger"]!.GetValue<string>());
        Assert.Equal(3, audit["passed"]!.GetValue<int>());
        Assert.Equal(0, audit["failed"]!.GetValue<int>());
    }

    [Fact]
    public async Task AFailingTenantDoesNotStopTheOthersAndIsNamedInTheSummary()
    {
        await using var schedule = new ScheduleHost();
        schedule.Host.WriteRunbook("fails-for-one.csx", ScheduleRunbooks.FailsForOne);
        await schedule.Host.Lock();
        var tenants = await schedule.RegisterActive(3);
        var broken = tenants[1].Value;
        schedule.Host.Environment["FAIL_TENANT"] = broken;
        schedule.Host.Environment["RUNBOOKHOST_Run__Parallelism"] = "1";
        schedule.Job(0, "fleet", "fails-for-one", "0 0 2 * * ?", "ids:" + string.Join(',', tenants.Select(t => t.Value)) + ",tnotregistered");

        var result = await schedule.Host.Run("schedule", "--run-now", "fleet");

        Assert.Equal(1, result.ExitCode);
        Assert.Matches($"(?m)^{broken}\\s+failed\\s+step .1. maybe fail. failed: this tenant is broken", result.StandardOutput);
        Assert.Matches($"(?m)^{tenants[0].Value}\\s+passed", result.StandardOutput);
        Assert.Matches($"(?m)^{tenants[2].Value}\\s+passed", result.StandardOutput);
        Assert.Matches("(?m)^tnotregistered\\s+skipped\\s+not registered", result.StandardOutput);
        Assert.Contains("4 tenants: 2 passed, 1 failed, 0 incomplete, 1 skipped: failed", result.StandardOutput);
        var runs = await schedule.Runs();
        Assert.Equal(3, runs.Count);
        Assert.Equal("failed", runs.Single(r => r.Tenant == broken).Status);
        var audit = Assert.Single(await schedule.ScheduledJobEvents());
        Assert.Equal([broken], audit["failed_tenants"]!.AsArray().Select(n => n!.GetValue<string>()));
        Assert.Equal(["tnotregistered"], audit["skipped_tenants"]!.AsArray().Select(n => n!.GetValue<string>()));
        Assert.Equal((2, 1, 1), (audit["passed"]!.GetValue<int>(), audit["failed"]!.GetValue<int>(), audit["skipped"]!.GetValue<int>()));
    }

    [Fact]
    public async Task TheRotationDueJobRotatesOnlyTenantsWhoseRotationIsDue()
    {
        await using var schedule = new ScheduleHost();
        schedule.Host.WriteRunbook("verify.csx", ScheduleRunbooks.Verify);
        schedule.Host.WriteRunbook("rotate-keys.csx", ScheduleRunbooks.RotateKeys);
        schedule.Host.WriteRunbook("purge-archived-keys.csx", ScheduleRunbooks.PurgeArchivedKeys);
        await schedule.Host.Lock();
        var tenants = await schedule.RegisterActive(3);
        var now = DateTimeOffset.UtcNow;
        await schedule.Registry.RecordKeyRotationAsync(tenants[0], "age1overdue", "initial", now.AddDays(-100), now.AddDays(-10));
        await schedule.Registry.RecordKeyRotationAsync(tenants[1], "age1notyetdue", "initial", now.AddDays(-1), now.AddDays(89));
        // tenants[2] has no key yet, so no rotation due date.

        // The default jobs: rotation-due is rotate-keys reason=scheduled for ListDueForRotationAsync's tenants.
        var result = await schedule.Host.Run("schedule", "--run-now", "rotation-due");

        Assert.True(result.ExitCode == 0, result.StandardOutput + result.StandardError);
        Assert.Contains("1 tenants: 1 passed, 0 failed, 0 incomplete, 0 skipped: passed", result.StandardOutput);
        var run = Assert.Single(await schedule.Runs());
        Assert.Equal(("rotate-keys", tenants[0].Value), (run.Runbook, run.Tenant));
        var evidence = Directory.GetFiles(Path.Combine(schedule.Host.EvidenceDir, tenants[0].Value), "*.json").Single();
        var envelope = JsonNode.Parse(File.ReadAllText(evidence))!;
        var statement = JsonNode.Parse(Convert.FromBase64String(envelope["payload"]!.GetValue<string>()))!;
        Assert.Equal("scheduled", statement["predicate"]!["parameters"]!["reason"]!.GetValue<string>());
    }
}
