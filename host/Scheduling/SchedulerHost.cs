using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using Quartz;
using RunbookHost.Cli.Commands;
using RunbookHost.Cli.Execution;
using RunbookHost.Registry;
using Serilog;

namespace RunbookHost.Cli.Scheduling;

/// <summary>
/// `runbook-host schedule`: a .NET Generic Host (systemd-aware) running a Quartz scheduler whose job store is the
/// control-plane PostgreSQL database, clustered, so any number of hosts share the schedule and each firing runs once.
/// </summary>
internal static class SchedulerHost
{
    /// <summary>Quartz's scheduler name (sched_name in every qrtz_ row): every host of one registry shares it.</summary>
    public const string SchedulerName = "runbook-host";
    public const string TablePrefix = "qrtz_";

    public static IHost Build(HostEnvironment environment, ServicesFactory services, RunbookRunner runner, IReadOnlyList<ScheduledJob> jobs, TenantRegistry registry)
    {
        var schedule = environment.Settings.Schedule;
        var timeZone = ScheduleDefinition.TimeZoneOf(schedule);
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings { ApplicationName = "runbook-host" });
        builder.Services.AddSystemd();
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(schedule.ShutdownTimeoutSeconds));
        builder.Logging.ClearProviders();
        builder.Logging.SetMinimumLevel(LogLevel.Information);
        builder.Logging.AddFilter("Microsoft", LogLevel.Warning);
        builder.Logging.AddFilter("Microsoft.Hosting.Lifetime", LogLevel.Information);
        builder.Logging.AddSerilog(environment.Log, dispose: false);

        builder.Services.AddSingleton(environment);
        builder.Services.AddSingleton(services);
        builder.Services.AddSingleton(runner);
        builder.Services.AddSingleton(environment.Log);
        builder.Services.AddSingleton(new ScheduledJobs(jobs));
        builder.Services.AddSingleton<ScheduledFiring>();

        builder.Services.Configure<QuartzOptions>(o =>
        {
            // Jobs and triggers come from configuration: a restart replaces them, continuing from the stored trigger's
            // last fire time so a restart never re-fires a schedule that has already run.
            o.Scheduling.OverwriteExistingData = true;
            o.Scheduling.ScheduleTriggerRelativeToReplacedTrigger = true;
        });
        builder.Services.AddQuartz(q =>
        {
            q.ConfigureScheduler(o => o.InstanceName = SchedulerName);
            q.UseDefaultThreadPool(schedule.MaxConcurrentJobs);
            q.UsePersistentStore(store =>
            {
                // The registry database (admin credentials), as TenantRegistry builds it.
                store.UsePostgres(new NpgsqlConnectionStringBuilder(environment.Settings.Postgres.AdminConnectionString) { Database = registry.Database }.ConnectionString);
                // Unique instance id per host (generated at start, like instanceId = AUTO).
                store.UseClustering(c =>
                {
                    c.CheckinInterval = TimeSpan.FromSeconds(schedule.CheckinIntervalSeconds);
                    c.CheckinMisfireThreshold = TimeSpan.FromSeconds(Math.Max(2 * schedule.CheckinIntervalSeconds, 20));
                });
                store.ConfigureStore(o =>
                {
                    o.TablePrefix = TablePrefix;
                    o.MisfireThreshold = TimeSpan.FromSeconds(schedule.MisfireThresholdSeconds);
                    // The tables come from registry migration 3; the store only checks them.
                    o.SchemaProvisioning = SchemaProvisioning.Validate;
                });
            });
            foreach (var job in jobs)
            {
                q.ScheduleJob<RunbookFiringJob>(
                    trigger => trigger
                        .WithIdentity(job.Name, ScheduledJob.Group)
                        .WithDescription($"{job.Runbook} for {job.Tenants}: {job.Cron.CronExpressionString}")
                        .WithSchedule(CronScheduleBuilder.Create(job.Cron.CronExpressionString)
                            .InTimeZone(timeZone)
                            // Misfire policy: a firing missed while no host was up runs once on recovery, then the schedule goes on.
                            .WithMisfireInstruction(CronTriggerMisfireInstruction.FireAndProceed)),
                    jobConfig => jobConfig
                        .WithIdentity(job.Name, ScheduledJob.Group)
                        .WithDescription($"runbook {job.Runbook}")
                        .DisallowConcurrentExecution()
                        // A host that dies mid-firing: another host re-runs the firing (every runbook is safe to re-run).
                        .RequestRecovery());
            }
        });
        builder.AddQuartzHostedService(o =>
        {
            o.WaitForJobsToComplete = true;
            o.AwaitApplicationStarted = true;
        });
        builder.Services.AddHostedService<ScheduleStartup>();
        return builder.Build();
    }
}

/// <summary>Once the scheduler runs: removes jobs the configuration no longer names, and logs each job's next fire time.</summary>
internal sealed class ScheduleStartup(ISchedulerFactory factory, ScheduledJobs jobs, Serilog.ILogger log, IHostApplicationLifetime lifetime) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        lifetime.ApplicationStarted.Register(() => _ = Announce());
        return Task.CompletedTask;
    }

    private async Task Announce()
    {
        try
        {
            var scheduler = await factory.GetScheduler();
            foreach (var key in await scheduler.GetJobKeys(GroupMatcher<JobKey>.GroupEquals(ScheduledJob.Group)))
            {
                if (!jobs.ByName.ContainsKey(key.Name) && await scheduler.DeleteJob(key))
                    log.Information("removed job {Job}: no longer configured", key.Name);
            }
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
