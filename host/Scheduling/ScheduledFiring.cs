using RunbookHost.Cli.Commands;
using RunbookHost.Cli.Execution;
using RunbookHost.Registry;
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
    public int Passed => Outcomes.Count(o => o.ExitCode == ExitCodes.Success);
    public int Failed => Outcomes.Count - Passed;
    public IReadOnlyList<string> FailedTenants => Outcomes.Where(o => o.ExitCode != ExitCodes.Success).Select(o => o.Tenant).ToList();
    public bool AllPassed => Error is null && Failed == 0;
}

/// <summary>Identifies a firing: where it came from (Quartz or --run-now), its times, and the scheduler instance.</summary>
internal sealed record FiringInfo(string Trigger, string FireInstanceId, string Instance, DateTimeOffset? ScheduledFireTime, DateTimeOffset FiredAt, bool Recovering);

/// <summary>
/// One firing of a scheduled job through the same path as `run --all-tenants`: Prepare once (validation, lock entry,
/// compile or cache), pick the tenants from the registry, FleetRun.RunAll (tenant lock, runbook_runs row and evidence
/// per tenant; one tenant's failure never stops the others), then log and audit the summary.
/// </summary>
internal sealed class ScheduledFiring(HostEnvironment environment, ServicesFactory services, RunbookRunner runner)
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
            outcomes = await FleetRun.RunAll(tenants, environment.Settings.Run.Parallelism, runner, prepared, quiet: true, cancellationToken);
            // The nightly verification also proves the whole fleet, exactly as `run verify --all-tenants` does.
            if (prepared.Source.Metadata.Name == FleetRun.FleetProofRunbook && job.Tenants is TenantSelection.All)
                outcomes = [.. outcomes, await runner.RunFleetProof(prepared, tenants, cancellationToken)];
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
            log.Warning("job {Job}: tenant {Tenant} FAILED: {Error}", job.Name, outcome.Tenant, outcome.Error);
        log.Information("job {Job} finished: {Passed} passed, {Failed} failed, {Skipped} skipped", job.Name, summary.Passed, summary.Failed, skipped.Count);
        await registry.RecordAuditAsync(AuditEvent, null, AuditDetails(summary, firing), CancellationToken.None);
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
        ["passed"] = summary.Passed,
        ["failed"] = summary.Failed,
        ["skipped"] = summary.Skipped.Count,
        ["failed_tenants"] = summary.FailedTenants,
        ["skipped_tenants"] = summary.Skipped.Select(s => s.Tenant).ToList(),
        ["error"] = summary.Error,
    };

    /// <summary>The per-tenant table `schedule --run-now` prints.</summary>
    public static void Report(FiringSummary summary, TextWriter output)
    {
        var rows = summary.Outcomes.Select(o => (o.Tenant, Result: o.ExitCode == ExitCodes.Success ? "passed" : "FAILED", Detail: o.Error ?? o.EvidenceFile ?? ""))
            .Concat(summary.Skipped.Select(s => (s.Tenant, Result: "skipped", Detail: s.Reason)))
            .OrderBy(r => r.Tenant, StringComparer.Ordinal)
            .ToList();
        var width = Math.Max(6, rows.Select(r => r.Tenant.Length).DefaultIfEmpty(0).Max());
        output.WriteLine($"job {summary.Job}: {summary.Runbook}");
        output.WriteLine($"{"TENANT".PadRight(width)}  RESULT   DETAIL");
        foreach (var row in rows)
            output.WriteLine($"{row.Tenant.PadRight(width)}  {row.Result,-7}  {row.Detail}");
        if (summary.Error is not null)
            output.WriteLine($"error: {summary.Error}");
        output.WriteLine($"{summary.Outcomes.Count + summary.Skipped.Count} tenants: {summary.Passed} passed, {summary.Failed} failed, {summary.Skipped.Count} skipped");
    }
}
