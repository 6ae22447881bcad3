using System.Collections.Concurrent;
using RunbookHost.Evidence;
using RunbookHost.Registry;
using RunbookHost.Runbooks;
using RunbookHost.Tenants;

namespace RunbookHost.Cli.Execution;

/// <summary>
/// Several tenants at once (`--all-tenants`, repeated `--tenant`, scheduled jobs): the same single-tenant path for each,
/// with bounded parallelism (Run__Parallelism). One tenant's failure never stops the others. After a verification of the
/// whole fleet, its fleet-wide runbook (verify → verify-fleet) proves the pairs and compares the fleet's three views.
/// </summary>
internal static class FleetRun
{
    /// <summary>The fleet-wide runbook that follows a tenant runbook run over the whole fleet.</summary>
    public static string? FleetRunbookAfter(string runbook) => runbook == "verify" ? "verify-fleet" : null;

    /// <summary>`run X --all-tenants`: every active tenant of the registry, then X's fleet-wide runbook if it has one.</summary>
    public static async Task<IReadOnlyList<RunOutcome>> AllTenants(ServicesFactory services, RunbookRunner runner, RunbookRunner.Prepared prepared,
        int parallelism, FleetProgress progress, CancellationToken cancellationToken)
    {
        if (services.Registry is null)
            throw new UsageException("--all-tenants reads the tenant registry: set RUNBOOKHOST_Postgres__AdminConnectionString");
        var fleetRunbook = prepared.DryRun ? null : FleetRunbookAfter(prepared.Source.Metadata.Name);
        var fleet = fleetRunbook is null ? null : runner.Prepare(fleetRunbook, [], dryRun: false);
        var (registry, problem) = await services.TryRegistry(cancellationToken);
        if (registry is null && fleet is null)
            return [RunOutcome.NotStarted(EvidenceFormat.FleetScope, ExitCodes.RunbookFailed, $"no tenant ran: {problem}")];
        var tenants = registry is null ? [] : (await registry.ListAsync(TenantStatus.Active, cancellationToken)).Select(t => t.TenantId).ToList();
        var outcomes = (await Each(tenants, parallelism, runner, prepared, progress, cancellationToken)).ToList();
        if (fleet is not null)
            outcomes.Add(await runner.RunFleet(fleet, outcomes.Select(o => new FleetMember(TenantId.Parse(o.Tenant), o.Outcome)).ToList(), cancellationToken));
        return outcomes;
    }

    /// <summary>Runs <paramref name="prepared"/> for each tenant, at most <paramref name="parallelism"/> at once, reporting progress.</summary>
    public static async Task<IReadOnlyList<RunOutcome>> Each(IReadOnlyList<TenantId> tenants, int parallelism, RunbookRunner runner,
        RunbookRunner.Prepared prepared, FleetProgress progress, CancellationToken cancellationToken)
    {
        var outcomes = new ConcurrentBag<RunOutcome>();
        await progress.Track(prepared.Source.Metadata.Name, tenants.Count, async advance =>
            await Parallel.ForEachAsync(tenants, new ParallelOptions { MaxDegreeOfParallelism = parallelism, CancellationToken = cancellationToken }, async (tenant, ct) =>
            {
                var outcome = await RunOne(runner, prepared, tenant, ct);
                outcomes.Add(outcome);
                advance(outcome);
            }));
        return outcomes.OrderBy(o => o.Tenant, StringComparer.Ordinal).ToList();
    }

    private static async Task<RunOutcome> RunOne(RunbookRunner runner, RunbookRunner.Prepared prepared, TenantId tenant, CancellationToken cancellationToken)
    {
        try
        {
            return await runner.Run(prepared, tenant, cancellationToken);
        }
        catch (UsageException error)
        {
            // Refused before anything was touched (e.g. the tenant's evidence cannot be written).
            return RunOutcome.NotStarted(tenant.Value, ExitCodes.UsageError, error.Message.Split('\n')[0]);
        }
        catch (Exception error) when (error is not OperationCanceledException)
        {
            // A tenant that could not even start (lock held, registry hiccup) is a failure of that tenant alone.
            return RunOutcome.NotStarted(tenant.Value, ExitCodes.RunbookFailed, error.Message.Split('\n')[0]);
        }
    }
}
