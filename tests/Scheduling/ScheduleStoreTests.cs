namespace RunbookHost.Tests.Scheduling;

/// <summary>What the Quartz job store keeps across restarts: misfires, removed and changed jobs.</summary>
public class ScheduleStoreTests
{
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task AFireTimeMissedWhileNoHostWasUpRunsOnceWhenAHostComesBack()
    {
        await using var schedule = new ScheduleHost();
        schedule.Host.WriteRunbook("tick.csx", ScheduleRunbooks.Tick);
        await schedule.Host.Lock();
        var tenant = (await schedule.RegisterActive(1))[0];
        // Fires once an hour, at a second ~20 s from now; that fire time passes while no host is up.
        var due = DateTimeOffset.UtcNow.AddSeconds(20);
        schedule.Job(0, "hourly", "tick", $"{due.Second} {due.Minute} * * * ?", "ids:" + tenant.Value);
        schedule.Host.Environment["RUNBOOKHOST_Schedule__MisfireThresholdSeconds"] = "1";

        using (var first = new BackgroundHost(schedule.Host, "schedule"))
        {
            await first.WaitForOutput("scheduler ", TimeSpan.FromSeconds(15));
            Assert.Equal(0, await first.Terminate(StopTimeout));
            Assert.DoesNotContain("fired", first.Output);
        }
        var wait = due.AddSeconds(4) - DateTimeOffset.UtcNow;
        if (wait > TimeSpan.Zero)
            await Task.Delay(wait);

        using var second = new BackgroundHost(schedule.Host, "schedule");
        await second.WaitForOutput("job hourly finished", TimeSpan.FromSeconds(30));
        await Task.Delay(TimeSpan.FromSeconds(4));
        Assert.Equal(0, await second.Terminate(StopTimeout));

        var firing = Assert.Single(await schedule.ScheduledJobEvents());
        Assert.Equal(1, firing["passed"]!.GetValue<int>());
        Assert.Single(await schedule.Runs());
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(second.Output, "job hourly fired"));
    }

    [Fact]
    public async Task ARestartDeletesJobsNoLongerConfiguredAndReschedulesAChangedCron()
    {
        await using var schedule = new ScheduleHost();
        schedule.Host.WriteRunbook("tick.csx", ScheduleRunbooks.Tick);
        await schedule.Host.Lock();
        await schedule.Registry.EnsureSchemaAsync();
        schedule.Job(0, "kept", "tick", "0 0 1 * * ?", "all");
        schedule.Job(1, "dropped", "tick", "0 0 4 * * ?", "all");
        using (var first = new BackgroundHost(schedule.Host, "schedule"))
        {
            await first.WaitForOutput("scheduler ", TimeSpan.FromSeconds(30));
            Assert.Equal(0, await first.Terminate(StopTimeout));
        }
        Assert.Equal([("dropped", "0 0 4 * * ?"), ("kept", "0 0 1 * * ?")], await StoredCrons(schedule));

        foreach (var key in schedule.Host.Environment.Keys.Where(k => k.StartsWith("RUNBOOKHOST_Schedule__Jobs__1__", StringComparison.Ordinal)).ToList())
            schedule.Host.Environment.Remove(key);
        schedule.Host.Environment["RUNBOOKHOST_Schedule__Jobs__0__Cron"] = "0 30 1 * * ?";
        using (var second = new BackgroundHost(schedule.Host, "schedule"))
        {
            await second.WaitForOutput("scheduler ", TimeSpan.FromSeconds(30));
            Assert.Equal(0, await second.Terminate(StopTimeout));
            Assert.Contains("removed job dropped: no longer configured", second.Output);
            Assert.Contains("job kept: schedule changed to 0 30 1 * * ?; rescheduled", second.Output);
        }
        Assert.Equal([("kept", "0 30 1 * * ?")], await StoredCrons(schedule));
    }

    private static async Task<List<(string Job, string Cron)>> StoredCrons(ScheduleHost schedule)
    {
        await using var conn = new Npgsql.NpgsqlConnection(schedule.Registry.ConnectionString);
        await conn.OpenAsync();
        await using var cmd = new Npgsql.NpgsqlCommand(
            "SELECT t.job_name, c.cron_expression FROM qrtz_triggers t JOIN qrtz_cron_triggers c USING (sched_name, trigger_name, trigger_group) " +
            "WHERE t.sched_name = 'runbook-host' AND t.job_group = 'runbook-host' ORDER BY t.job_name", conn);
        await using var reader = await cmd.ExecuteReaderAsync();
        var rows = new List<(string, string)>();
        while (await reader.ReadAsync())
            rows.Add((reader.GetString(0), reader.GetString(1)));
        return rows;
    }
}
