using Quartz;

namespace RunbookHost.Cli.Scheduling;

/// <summary>
/// The Quartz job behind every scheduled runbook. The job key's name is the configured job's name; the definition is
/// read from this host's validated configuration, never from the job store, so the database holds no runbook input.
/// DisallowConcurrentExecution: a firing that comes due while the previous one still runs waits for it (cluster-wide).
/// </summary>
[DisallowConcurrentExecution]
internal sealed class RunbookFiringJob(ScheduledJobs jobs, ScheduledFiring firing, Serilog.ILogger log) : IJob
{
    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken = default)
    {
        var name = context.JobDetail.Key.Name;
        if (!jobs.ByName.TryGetValue(name, out var job))
        {
            log.Warning("job {Job} fired but this host's configuration does not define it; skipped", name);
            return;
        }
        var info = new FiringInfo(
            Trigger: context.Trigger.Key.ToString(),
            FireInstanceId: context.FireInstanceId,
            Instance: context.Scheduler.SchedulerInstanceId,
            ScheduledFireTime: context.ScheduledFireTimeUtc,
            FiredAt: context.FireTimeUtc,
            Recovering: context.Recovering);
        var summary = await firing.Run(job, info, cancellationToken);
        context.Result = $"{summary.Result}: {summary.Passed} passed, {summary.Failed} failed, {summary.Incomplete} incomplete, {summary.Skipped.Count} skipped";
    }
}

/// <summary>The validated jobs of this host, by name (a DI singleton).</summary>
internal sealed class ScheduledJobs(IReadOnlyList<ScheduledJob> jobs)
{
    public IReadOnlyList<ScheduledJob> All { get; } = jobs;
    public IReadOnlyDictionary<string, ScheduledJob> ByName { get; } = jobs.ToDictionary(j => j.Name, StringComparer.Ordinal);
}
