using System.ComponentModel;
using System.Globalization;
using Microsoft.Extensions.Hosting;
using RunbookHost.Cli.Execution;
using RunbookHost.Cli.Scheduling;
using Spectre.Console.Cli;

namespace RunbookHost.Cli.Commands;

[Description("Run the scheduled runbooks (Schedule__Jobs) as a clustered Quartz scheduler in the foreground; see docs/scheduling.md")]
internal sealed class ScheduleCommand : AsyncCommand<ScheduleCommand.Settings>
{
    public sealed class Settings : GlobalSettings
    {
        [CommandOption("--list")]
        [Description("Print the jobs and their next fire times, then exit (no scheduler is started)")]
        public bool List { get; init; }

        [CommandOption("--run-now <JOB>")]
        [Description("Run one job once, now, in this process; exit 0 when every tenant passed, 4 when incomplete, 1 otherwise")]
        public string? RunNow { get; init; }
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        if (settings.List && settings.RunNow is not null)
            throw new UsageException("give at most one of --list and --run-now <job>");
        var environment = HostEnvironment.Create(settings, quiet: settings.List);
        var jobs = ScheduleDefinition.Load(environment.Settings.Schedule, environment.Catalog(), environment.Clock);
        if (settings.List)
        {
            PrintList(jobs, environment.Settings.Schedule.TimeZone, environment.Clock.GetUtcNow());
            return ExitCodes.Success;
        }
        ScheduledJob? runNow = null;
        if (settings.RunNow is not null)
        {
            runNow = jobs.FirstOrDefault(j => j.Name == settings.RunNow)
                ?? throw new UsageException($"no scheduled job named '{settings.RunNow}' (see `runbook-host schedule --list`)");
        }
        if (environment.Settings.Postgres.AdminConnectionString.Length == 0)
            throw new UsageException("schedule keeps its jobs in the tenant registry: set RUNBOOKHOST_Postgres__AdminConnectionString");

        using var notifications = ScheduleNotifications.Create(environment.Settings.Schedule, environment.Log, environment.Clock);
        await using var services = new ServicesFactory(environment.Settings, environment.Clock);
        var runner = new RunbookRunner(environment.Settings, environment.Catalog(), () => environment.Log, environment.Clock,
            EvidenceSinks.Create(environment.Settings), services);
        // Applies pending registry migrations, the Quartz tables among them, before the scheduler looks for them.
        var registry = (await services.ReadyRegistry(cancellationToken))!;
        if (runNow is not null)
        {
            var firing = new ScheduledFiring(environment, services, runner, notifications);
            var info = new FiringInfo("run-now", Guid.NewGuid().ToString("N"), $"{Environment.MachineName}/{Environment.ProcessId}", null, environment.Clock.GetUtcNow(), false);
            var summary = await firing.Run(runNow, info, cancellationToken);
            ScheduledFiring.Report(summary, Console.Out);
            return summary.ExitCode;
        }
        using var metrics = ScheduleNotifications.IsOff(environment.Settings.Schedule.MetricsAddress) ? null
            : notifications.Metrics.Serve(environment.Settings.Schedule.MetricsAddress);
        if (metrics is not null)
            environment.Log.Information("metrics: http://{Address}/metrics", environment.Settings.Schedule.MetricsAddress);
        using var host = SchedulerHost.Build(environment, services, runner, notifications, jobs, registry);
        await host.RunAsync(CancellationToken.None);
        return ExitCodes.Success;
    }

    private static void PrintList(IReadOnlyList<ScheduledJob> jobs, string timeZone, DateTimeOffset now)
    {
        var rows = jobs.Select(j => new[]
        {
            j.Name, j.Runbook, j.Tenants.ToString(), j.Cron.CronExpressionString,
            j.NextFireTime(now)?.ToUniversalTime().ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture) ?? "never",
            j.Params.Count == 0 ? "-" : string.Join(' ', j.Params),
        }).ToList();
        string[] header = ["JOB", "RUNBOOK", "TENANTS", "CRON", "NEXT (UTC)", "PARAMS"];
        var widths = header.Select((h, i) => rows.Select(r => r[i].Length).Append(h.Length).Max()).ToArray();
        string Line(string[] cells) => string.Join("  ", cells.Select((c, i) => i == cells.Length - 1 ? c : c.PadRight(widths[i]))).TrimEnd();
        Console.Out.WriteLine($"cron time zone: {timeZone}");
        Console.Out.WriteLine(Line(header));
        foreach (var row in rows)
            Console.Out.WriteLine(Line(row));
    }
}
