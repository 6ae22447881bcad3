using RunbookHost.Cli.Commands;
using RunbookHost.Cli.Execution;
using RunbookHost.Evidence;
using RunbookHost.Registry;
using RunbookHost.Runbooks;
using RunbookHost.Tenants;
using Serilog;

namespace RunbookHost.Cli.Scheduling;

/// <summary>What one firing of a job did, per tenant; kept in the registry as a SCHEDULED_JOB audit event.</summary>
internal sealed record FiringSummary(
    string Job,
    string Runbook,
    string Trigger,
    DateTimeOffset? ScheduledFireTime,
    DateTimeOffset FiredAt,
    DateTimeOffset FinishedAt,
    IReadOnlyList<RunOutcome> Outcomes,
    IReadOnlyList<(string Tenant, string Reason)> Skipped,
    string? Error)
{
    private IEnumerable<RunOutcome> Tenants => Outcomes.Where(o => o.Tenant != EvidenceFormat.FleetScope);
    public int Passed => Tenants.Count(o => o.ExitCode == ExitCodes.Success);
    public int Incomplete => Tenants.Count(o => o.ExitCode == ExitCodes.Incomplete);
    public int Failed => Tenants.Count() - Passed - Incomplete;
    public IReadOnlyList<string> FailedTenants => Tenants.Where(o => o.ExitCode is not (ExitCodes.Success or ExitCodes.Incomplete)).Select(o => o.Tenant).ToList();
    public IReadOnlyList<string> IncompleteTenants => Tenants.Where(o => o.ExitCode == ExitCodes.Incomplete).Select(o => o.Tenant).ToList();
    /// <summary>The fleet-wide proof's outcome, when the firing ran one.</summary>
    public string? FleetProof => Outcomes.FirstOrDefault(o => o.Tenant == EvidenceFormat.FleetScope)?.Outcome;
    /// <summary>failed (an error, a failed tenant or proof), incomplete (something not verified), or passed.</summary>
    public string Result => Error is not null || RunOutcome.Combine(Outcomes) is not (ExitCodes.Success or ExitCodes.Incomplete) ? RunOutcomes.Failed
        : RunOutcome.Combine(Outcomes) == ExitCodes.Incomplete ? RunOutcomes.Incomplete
        : RunOutcomes.Passed;
    public bool AllPassed => Result == RunOutcomes.Passed;
    public int ExitCode => Result switch { RunOutcomes.Passed => ExitCodes.Success, RunOutcomes.Incomplete => ExitCodes.Incomplete, _ => ExitCodes.RunbookFailed };
}

/// <summary>Identifies a firing: where it came from (Quartz or --run-now), its times, and the scheduler instance.</summary>
internal sealed record FiringInfo(string Trigger, string FireInstanceId, string Instance, DateTimeOffset? ScheduledFireTime, DateTimeOffset FiredAt, bool Recovering);

/// <summary>
/// One firing of a scheduled job through the same path as `run --all-tenants`: Prepare once (validation, lock entry,
/// compile or cache), pick the tenants from the registry, FleetRun.RunAll (tenant lock, runbook_runs row and evidence
/// per tenant; one tenant's failure never stops the others), then log and audit the summary.
/// </summary>
internal sealed class ScheduledFiring(HostEnvironment environment, ServicesFactory services, RunbookRunner runner, ScheduleNotifications notifications)
{
    public const string AuditEvent = "SCHEDULED_JOB";

    // Two jobs firing at once prepare one at a time: a cache miss compiles with Roslyn, and two compiles of the same
    // runbook at once would only race for the same cache entry.
    private static readonly SemaphoreSlim PrepareGate = new(1, 1);

    private ILogger Log => environment.Log;

    public async Task<FiringSummary> Run(ScheduledJob job, FiringInfo firing, CancellationToken cancellationToken)
    {
        var log = Log.ForContext("Job", job.Name).ForContext("FireInstanceId", firing.FireInstanceId);
        log.Information("job {Job} fired ({Trigger}{Recovering}): {Runbook} for {Tenants}",
            job.Name, firing.Trigger, firing.Recovering ? ", recovering" : "", job.Runbook, job.Tenants.ToString());
        notifications.Started(job, firing.FiredAt);
        var registry = await services.ReadyRegistry(cancellationToken)
            ?? throw new UsageException("scheduled jobs read the tenant registry: set RUNBOOKHOST_Postgres__AdminConnectionString");
        IReadOnlyList<RunOutcome> outcomes = [];
        var skipped = new List<(string, string)>();
        string? error = null;
        try
        {
            RunbookRunner.Prepared prepared;
            await PrepareGate.WaitAsync(cancellationToken);
            try { prepared = runner.Prepare(job.Runbook, job.Params, dryRun: false); }
            finally { PrepareGate.Release(); }
            var tenants = await SelectTenants(registry, job.Tenants, skipped, cancellationToken);
            outcomes = await FleetRun.Each(tenants, environment.Settings.Run.Parallelism, runner, prepared, FleetProgress.For(json: true), cancellationToken);
            // The nightly verification also proves the whole fleet, exactly as `run verify --all-tenants` does.
            if (FleetRun.FleetRunbookAfter(prepared.Source.Metadata.Name) is { } fleetRunbook && job.Tenants is TenantSelection.All)
            {
                var fleet = runner.Prepare(fleetRunbook, [], dryRun: false);
                outcomes = [.. outcomes, await runner.RunFleet(fleet, outcomes.Select(o => new FleetMember(TenantId.Parse(o.Tenant), o.Outcome)).ToList(), cancellationToken)];
            }
        }
        catch (Exception failure) when (failure is not OperationCanceledException)
        {
            // The runbook no longer validates (source changed without a lock update) or the registry failed: the firing failed as a whole.
            error = failure.Message.Split('\n')[0].Trim();
            log.Error("job {Job} could not run: {Error}", job.Name, error);
        }
        var summary = new FiringSummary(job.Name, job.Runbook, firing.Trigger, firing.ScheduledFireTime, firing.FiredAt,
            environment.Clock.GetUtcNow(), outcomes, skipped, error);
        foreach (var outcome in outcomes.Where(o => o.ExitCode != ExitCodes.Success))
            log.Warning("job {Job}: {Tenant} {Outcome}: {Error}", job.Name, outcome.Tenant, outcome.Outcome.ToUpperInvariant(), outcome.Error);
        log.Information("job {Job} finished {Result}: {Passed} passed, {Failed} failed, {Incomplete} incomplete, {Skipped} skipped",
            job.Name, summary.Result, summary.Passed, summary.Failed, summary.Incomplete, skipped.Count);
        await registry.RecordAuditAsync(AuditEvent, null, AuditDetails(summary, firing), CancellationToken.None);
        await notifications.Finished(summary, CancellationToken.None);
        return summary;
    }

    private async Task<IReadOnlyList<TenantId>> SelectTenants(TenantRegistry registry, TenantSelection selection, List<(string, string)> skipped, CancellationToken cancellationToken)
    {
        switch (selection)
        {
            case TenantSelection.All:
                return (await registry.ListAsync(TenantStatus.Active, cancellationToken)).Select(t => t.TenantId).ToList();
            case TenantSelection.WithStatus withStatus:
                return (await registry.ListAsync(withStatus.Status, cancellationToken)).Select(t => t.TenantId).ToList();
            case TenantSelection.DueForRotation:
                return (await registry.ListDueForRotationAsync(environment.Clock.GetUtcNow(), cancellationToken)).Select(t => t.TenantId).ToList();
            case TenantSelection.Ids ids:
                var selected = new List<TenantId>();
                foreach (var tenant in ids.Tenants)
                {
                    var record = await registry.GetAsync(tenant, cancellationToken);
                    if (record is null)
                        skipped.Add((tenant.Value, "not registered"));
                    else if (record.Status == TenantStatus.Deprovisioned)
                        skipped.Add((tenant.Value, "deprovisioned"));
                    else
                        selected.Add(tenant);
                }
                return selected;
            default:
                throw new InvalidOperationException("unknown tenant selection");
        }
    }

    private static object AuditDetails(FiringSummary summary, FiringInfo firing) => new Dictionary<string, object?>
    {
        ["job"] = summary.Job,
        ["runbook"] = summary.Runbook,
        ["trigger"] = firing.Trigger,
        ["fire_instance_id"] = firing.FireInstanceId,
        ["scheduler_instance"] = firing.Instance,
        ["scheduled_fire_time"] = firing.ScheduledFireTime?.ToUniversalTime().ToString("O"),
        ["fired_at"] = firing.FiredAt.ToUniversalTime().ToString("O"),
        ["finished_at"] = summary.FinishedAt.ToUniversalTime().ToString("O"),
        ["recovering"] = firing.Recovering,
        ["tenants"] = summary.Outcomes.Count,
        ["result"] = summary.Result,
        ["passed"] = summary.Passed,
        ["failed"] = summary.Failed,
        ["incomplete"] = summary.Incomplete,
        ["incomplete_tenants"] = summary.IncompleteTenants,
        ["fleet_proof"] = summary.FleetProof,
        ["skipped"] = summary.Skipped.Count,
        ["failed_tenants"] = summary.FailedTenants,
        ["skipped_tenants"] = summary.Skipped.Select(s => s.Tenant).ToList(),
        ["error"] = summary.Error,
    };

    /// <summary>The per-tenant table `schedule --run-now` prints.</summary>
    public static void Report(FiringSummary summary, TextWriter output)
    {
        var rows = summary.Outcomes.Select(o => (o.Tenant, Result: FleetReport.Result(o), Detail: o.Error ?? o.EvidenceFile ?? ""))
            .Concat(summary.Skipped.Select(s => (s.Tenant, Result: "skipped", Detail: s.Reason)))
            .OrderBy(r => r.Tenant, StringComparer.Ordinal)
            .ToList();
        var width = Math.Max(6, rows.Select(r => r.Tenant.Length).DefaultIfEmpty(0).Max());
        output.WriteLine($"job {summary.Job}: {summary.Runbook}");
        output.WriteLine($"{"TENANT".PadRight(width)}  RESULT      DETAIL");
        foreach (var row in rows)
            output.WriteLine($"{row.Tenant.PadRight(width)}  {row.Result,-10}  {row.Detail}");
        if (summary.Error is not null)
            output.WriteLine($"error: {summary.Error}");
        output.WriteLine($"{summary.Passed + summary.Failed + summary.Incomplete + summary.Skipped.Count} tenants: {summary.Passed} passed, {summary.Failed} failed, "
            + $"{summary.Incomplete} incomplete, {summary.Skipped.Count} skipped" + (summary.FleetProof is { } proof ? $"; fleet-wide proof {proof}" : "") + $": {summary.Result}");
    }
}
