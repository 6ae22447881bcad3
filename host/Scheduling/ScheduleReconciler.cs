using Microsoft.Extensions.Hosting;
using Npgsql;
using Quartz;

namespace RunbookHost.Cli.Scheduling;

/// <summary>
/// Brings the job store in line with this host's configuration before its scheduler starts, under a PostgreSQL
/// advisory lock so starting hosts take turns: jobs the configuration no longer names are deleted; a configured job
/// is stored (its detail replaced, which touches no trigger); its trigger is stored only when absent, and replaced
/// only when the cron expression or time zone changed. An unchanged trigger is never replaced: replacing a trigger
/// that another host is firing would hand that host the same fire time a second time.
/// </summary>
internal sealed class ScheduleReconciler(ISchedulerFactory factory, ScheduledJobs jobs, ScheduleReconciler.Options options, Serilog.ILogger log, IHostApplicationLifetime lifetime) : IHostedService
{
    /// <summary>Advisory lock key for "a host is reconciling the schedule" (ASCII "rbhsched"); distinct from the registry's keys.</summary>
    private const long ReconcileLockKey = 0x7262_6873_6368_6564;

    internal sealed record Options(string ConnectionString, TimeZoneInfo TimeZone);

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await using (var conn = new NpgsqlConnection(options.ConnectionString))
        {
            await conn.OpenAsync(cancellationToken);
            await using (var lockCmd = new NpgsqlCommand("SELECT pg_advisory_lock($1)", conn))
            {
                lockCmd.Parameters.AddWithValue(ReconcileLockKey);
                await lockCmd.ExecuteNonQueryAsync(cancellationToken);
            }
            try
            {
                await Reconcile(await factory.GetScheduler(cancellationToken), cancellationToken);
            }
            finally
            {
                await using var unlock = new NpgsqlCommand("SELECT pg_advisory_unlock($1)", conn);
                unlock.Parameters.AddWithValue(ReconcileLockKey);
                await unlock.ExecuteNonQueryAsync(CancellationToken.None);
            }
        }
        lifetime.ApplicationStarted.Register(() => _ = Announce());
    }

    private async Task Reconcile(IScheduler scheduler, CancellationToken cancellationToken)
    {
        foreach (var key in await scheduler.GetJobKeys(GroupMatcher<JobKey>.GroupEquals(ScheduledJob.Group), cancellationToken))
        {
            if (!jobs.ByName.ContainsKey(key.Name) && await scheduler.DeleteJob(key, cancellationToken))
                log.Information("removed job {Job}: no longer configured", key.Name);
        }
        foreach (var job in jobs.All)
        {
            var jobKey = new JobKey(job.Name, ScheduledJob.Group);
            var detail = JobBuilder.Create<RunbookFiringJob>()
                .WithIdentity(jobKey)
                .WithDescription($"runbook {job.Runbook}")
                .DisallowConcurrentExecution()
                // A host that dies mid-firing: another host re-runs that firing (every runbook is safe to re-run).
                .RequestRecovery()
                .StoreDurably()
                .Build();
            await scheduler.AddJob(detail, new AddJobOptions { Replace = true }, cancellationToken);
            var triggerKey = new TriggerKey(job.Name, ScheduledJob.Group);
            var trigger = TriggerBuilder.Create()
                .WithIdentity(triggerKey)
                .ForJob(jobKey)
                .WithDescription(SchedulerHost.Describe(job))
                .WithSchedule(SchedulerHost.CronSchedule(job, options.TimeZone))
                .Build();
            var stored = await scheduler.GetTrigger(triggerKey, cancellationToken);
            if (stored is null)
            {
                await scheduler.ScheduleTrigger(trigger, TriggerConflict.Keep, cancellationToken);
                log.Information("job {Job}: scheduled", job.Name);
            }
            else if (stored is not ICronTrigger cron || cron.CronExpressionString != job.Cron.CronExpressionString || cron.TimeZone.Id != options.TimeZone.Id)
            {
                await scheduler.RescheduleJob(triggerKey, trigger, cancellationToken);
                log.Information("job {Job}: schedule changed to {Cron}; rescheduled", job.Name, job.Cron.CronExpressionString);
            }
        }
    }

    private async Task Announce()
    {
        try
        {
            var scheduler = await factory.GetScheduler();
            log.Information("scheduler {Instance} started: {Count} jobs", scheduler.SchedulerInstanceId, jobs.All.Count);
            foreach (var job in jobs.All)
            {
                var trigger = await scheduler.GetTrigger(new TriggerKey(job.Name, ScheduledJob.Group));
                log.Information("job {Job}: {Runbook} for {Tenants}, cron {Cron}, next {Next:u}",
                    job.Name, job.Runbook, job.Tenants.ToString(), job.Cron.CronExpressionString, trigger?.NextFireTimeUtc);
            }
        }
        catch (Exception error)
        {
            log.Warning("could not list the scheduled jobs: {Error}", error.Message);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
