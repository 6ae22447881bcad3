using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using RunbookHost.Cli.Commands;
using RunbookHost.Evidence;
using RunbookHost.Registry;
using RunbookHost.Tenants;
using Spectre.Console;

namespace RunbookHost.Cli.Execution;

/// <summary>
/// `--all-tenants`: the same run path for every active tenant in the registry, with bounded
/// parallelism (Run__Parallelism). One tenant's failure never stops the others; the summary names each.
/// </summary>
internal static class FleetRun
{
    public static async Task<int> Run(HostEnvironment environment, ServicesFactory services, RunbookRunner runner, RunbookRunner.Prepared prepared, bool json, CancellationToken cancellationToken)
    {
        var registry = await services.ReadyRegistry(cancellationToken)
            ?? throw new UsageException("--all-tenants reads the tenant registry: set RUNBOOKHOST_Postgres__AdminConnectionString");
        var tenants = (await registry.ListAsync(TenantStatus.Active, cancellationToken)).Select(t => t.TenantId).ToList();
        var outcomes = (await RunAll(tenants, environment.Settings.Run.Parallelism, runner, prepared, json, cancellationToken)).ToList();
        if (prepared.Source.Metadata.Name == FleetProofRunbook && !prepared.DryRun)
            outcomes.Add(await runner.RunFleetProof(prepared, tenants, cancellationToken));
        Report(outcomes, json);
        return outcomes.All(o => o.ExitCode == ExitCodes.Success) ? ExitCodes.Success : ExitCodes.RunbookFailed;
    }

    /// <summary>`run verify --all-tenants` also writes the fleet-wide proof (docs/engine.md).</summary>
    public const string FleetProofRunbook = "verify";

    /// <summary>Several `--tenant` options: the same parallel path as `--all-tenants`, for the tenants named.</summary>
    public static async Task<int> RunGiven(IReadOnlyList<TenantId> tenants, HostEnvironment environment, RunbookRunner runner, RunbookRunner.Prepared prepared, bool json, CancellationToken cancellationToken)
    {
        var outcomes = await RunAll(tenants, environment.Settings.Run.Parallelism, runner, prepared, json, cancellationToken);
        Report(outcomes, json);
        return outcomes.All(o => o.ExitCode == ExitCodes.Success) ? ExitCodes.Success : ExitCodes.RunbookFailed;
    }

    public static async Task<IReadOnlyList<RunOutcome>> RunAll(IReadOnlyList<TenantId> tenants, int parallelism, RunbookRunner runner, RunbookRunner.Prepared prepared, bool quiet, CancellationToken cancellationToken)
    {
        var outcomes = new ConcurrentBag<RunOutcome>();
        async Task RunEach(Action? advance)
        {
            await Parallel.ForEachAsync(tenants, new ParallelOptions { MaxDegreeOfParallelism = parallelism, CancellationToken = cancellationToken }, async (tenant, ct) =>
            {
                outcomes.Add(await RunOne(runner, prepared, tenant, ct));
                advance?.Invoke();
            });
        }
        if (!quiet && AnsiConsole.Profile.Capabilities.Interactive && tenants.Count > 0)
        {
            await AnsiConsole.Progress().StartAsync(async progress =>
            {
                var task = progress.AddTask($"{prepared.Source.Metadata.Name} × {tenants.Count} tenants", maxValue: tenants.Count);
                await RunEach(() => task.Increment(1));
            });
        }
        else
        {
            await RunEach(null);
        }
        return outcomes.OrderBy(o => o.Tenant, StringComparer.Ordinal).ToList();
    }

    private static async Task<RunOutcome> RunOne(RunbookRunner runner, RunbookRunner.Prepared prepared, TenantId tenant, CancellationToken cancellationToken)
    {
        try
        {
            return await runner.Run(prepared, tenant, cancellationToken);
        }
        catch (Exception error) when (error is not OperationCanceledException)
        {
            // A tenant that could not even start (lock held, registry hiccup) is a failure of that tenant alone.
            return new RunOutcome(tenant.Value, ExitCodes.RunbookFailed, null, false, false, error.Message.Split('\n')[0], [], null);
        }
    }

    private static void Report(IReadOnlyList<RunOutcome> outcomes, bool json)
    {
        var passed = outcomes.Count(o => o.ExitCode == ExitCodes.Success);
        if (json)
        {
            var report = new JsonObject
            {
                ["tenants"] = outcomes.Count,
                ["passed"] = passed,
                ["failed"] = outcomes.Count - passed,
                ["runs"] = new JsonArray(outcomes.Select(o => (JsonNode?)RunbookRunner.ToJson(o)).ToArray()),
            };
            Console.Out.WriteLine(report.ToJsonString(new() { WriteIndented = true }));
            return;
        }
        var width = Math.Max(6, outcomes.Select(o => o.Tenant.Length).DefaultIfEmpty(0).Max());
        Console.Out.WriteLine($"{"TENANT".PadRight(width)}  RESULT  DETAIL");
        foreach (var outcome in outcomes)
        {
            var result = outcome.ExitCode == ExitCodes.Success ? "passed" : "FAILED";
            Console.Out.WriteLine($"{outcome.Tenant.PadRight(width)}  {result}  {outcome.Error ?? outcome.EvidenceFile}");
        }
        var tenants = outcomes.Where(o => o.Tenant != EvidenceFormat.FleetScope).ToList();
        var tenantsPassed = tenants.Count(o => o.ExitCode == ExitCodes.Success);
        var proof = outcomes.FirstOrDefault(o => o.Tenant == EvidenceFormat.FleetScope);
        Console.Out.WriteLine($"{tenants.Count} tenants: {tenantsPassed} passed, {tenants.Count - tenantsPassed} failed"
            + (proof is null ? "" : $"; fleet-wide proof {(proof.ExitCode == ExitCodes.Success ? "passed" : "FAILED")}"));
    }
}
