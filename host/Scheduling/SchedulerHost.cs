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

    public static IHost Build(HostEnvironment environment, ServicesFactory services, RunbookRunner runner, ScheduleNotifications notifications, IReadOnlyList<ScheduledJob> jobs, TenantRegistry registry)
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
        builder.Services.AddSingleton(notifications);
        builder.Services.AddSingleton<ScheduledFiring>();

        var connectionString = new NpgsqlConnectionStringBuilder(environment.Settings.Postgres.AdminConnectionString) { Database = registry.Database }.ConnectionString;
        builder.Services.AddQuartz(q =>
        {
            q.ConfigureScheduler(o => o.InstanceName = SchedulerName);
            q.UseDefaultThreadPool(schedule.MaxConcurrentJobs);
            q.UsePersistentStore(store =>
            {
                // The registry database (admin credentials), as TenantRegistry builds it.
                store.UsePostgres(connectionString);
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
            // No job is declared here: ScheduleReconciler stores them, serialized across hosts, before the scheduler starts.
        });
        builder.Services.AddSingleton(new ScheduleReconciler.Options(connectionString, timeZone));
        // Registered before the Quartz hosted service, so it runs first: the scheduler starts on a reconciled store.
        builder.Services.AddHostedService<ScheduleReconciler>();
        builder.AddQuartzHostedService(o =>
        {
            o.WaitForJobsToComplete = true;
            o.AwaitApplicationStarted = true;
        });
        return builder.Build();
    }

    public static string Describe(ScheduledJob job) => $"{job.Runbook} for {job.Tenants}: {job.Cron.CronExpressionString}";

    /// <summary>
    /// The job's cron schedule. Misfire policy: a firing missed while no host was up (or while every host was busy past
    /// the misfire threshold) runs once on recovery, then the schedule goes on (FireAndProceed).
    /// </summary>
    public static CronScheduleBuilder CronSchedule(ScheduledJob job, TimeZoneInfo timeZone) =>
        CronScheduleBuilder.Create(job.Cron.CronExpressionString)
            .InTimeZone(timeZone)
            .WithMisfireInstruction(CronTriggerMisfireInstruction.FireAndProceed);
}
