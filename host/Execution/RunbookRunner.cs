using System.Text.Json.Nodes;
using RunbookHost.Cli.Scripting;
using RunbookHost.Configuration;
using RunbookHost.Evidence;
using RunbookHost.Runbooks;
using RunbookHost.Tenants;
using Serilog;

namespace RunbookHost.Cli.Execution;

/// <summary>
/// The whole `run` path, shared by the CLI, `--all-tenants` and the scheduler: validate everything, obtain the compiled
/// runbook, take the tenant lock, prove the evidence can be written and record the run in the registry (both before
/// anything is touched), run, roll back on failure, write the evidence, close the registry record.
/// </summary>
internal sealed class RunbookRunner(HostSettings settings, RunbookCatalog catalog, Func<ILogger> logger, TimeProvider clock, IEvidenceSink evidence, ServicesFactory services)
{
    private static readonly TimeSpan LockTimeout = TimeSpan.FromMinutes(2);
    private readonly CompiledRunbookCache cache = new(settings.Paths.Cache, settings.Paths.Secrets, logger);
    private readonly RunExecution execution = new(settings, clock, evidence);

    /// <summary>A runbook that passed every check that needs no side effect, ready to run for any tenant.</summary>
    public sealed record Prepared(RunbookSource Source, IReadOnlyDictionary<string, string> Parameters, CompiledRunbookCache.Entry Compiled, bool DryRun,
        IReadOnlyList<EvidenceSubject> Subjects, string? RunbooksCommit);

    public RunbookCatalog Catalog => catalog;

    /// <summary>Validates the runbook, its lock entry and parameters, and compiles it (or loads it from the cache). Throws <see cref="UsageException"/>.</summary>
    public Prepared Prepare(string runbook, IReadOnlyList<string> rawParams, bool dryRun)
    {
        try
        {
            var source = catalog.FindPinned(runbook);
            var parameters = RunbookArguments.Resolve(source.Metadata, rawParams);
            var compiled = cache.GetOrCompile(source);
            return new Prepared(source, parameters, compiled, dryRun, source.Subjects, RunbooksCheckout.HeadCommit(catalog.Root));
        }
        catch (Exception error) when (error is RunbookArgumentException or RunbookDefinitionException or RunbookCompileException)
        {
            throw new UsageException(error.Message);
        }
    }

    /// <summary>One tenant-scoped run.</summary>
    public async Task<RunOutcome> Run(Prepared prepared, TenantId tenant, CancellationToken cancellationToken)
    {
        if (prepared.Source.Metadata.IsFleet)
            throw new UsageException($"{prepared.Source.Metadata.Name} proves the whole fleet: run it without --tenant");
        var log = logger().ForContext("Tenant", tenant.Value).ForContext("Runbook", prepared.Source.Metadata.Name);
        // One run per tenant at a time: on this machine (flock) and across machines (registry advisory lock).
        using var tenantLock = TenantFileLock.Acquire(settings.Paths.Secrets, tenant, LockTimeout, cancellationToken);
        RunbookHost.Diagnostics.TimingTrace.Mark("tenant file lock held");
        var (registry, registryProblem) = await services.TryRegistry(cancellationToken);
        RunbookHost.Diagnostics.TimingTrace.Mark("registry schema ready");
        await using var registryLock = registry is null ? null : await registry.AcquireTenantLockAsync(tenant, LockTimeout, cancellationToken);
        RunbookHost.Diagnostics.TimingTrace.Mark("registry tenant lock held");
        // The run starts once it holds the tenant: a run that waited for another must not date its evidence
        // before that other run's, or the tenant's evidence chain would be out of order.
        var record = execution.NewRecord(prepared, EvidenceScopes.Tenant, tenant.Value, RunbookArguments.ForEvidence(prepared.Source.Metadata, prepared.Parameters));
        var anchor = await execution.Anchor(record, registry, registryProblem, services.Registry is not null, tenant, prepared, cancellationToken);
        RunbookHost.Diagnostics.TimingTrace.Mark("evidence preflight + run recorded");
        var components = await TenantComponentsReader.Read(registry, registryProblem, tenant, cancellationToken);
        RunbookHost.Diagnostics.TimingTrace.Mark("tenant components read");
        var scope = new RunScope(tenant, components,
            new ComponentLedger(registry, tenant, components, $"{prepared.Source.Metadata.Name}@{prepared.Source.Metadata.Version}", clock),
            cancellationToken, settings.Verify.RequiredComponents);
        return await execution.Execute(prepared, record, anchor, log, cancellationToken,
            recorder => new TenantRunbook(recorder, prepared.Parameters, scope, services.Services));
    }

    /// <summary>
    /// One fleet-scoped run (e.g. verify-fleet): evidence in evidence/_fleet. <paramref name="verified"/> are the tenant runs
    /// of the same invocation (`run verify --all-tenants`, a nightly job), compared with the registry and the evidence.
    /// </summary>
    public async Task<RunOutcome> RunFleet(Prepared prepared, IReadOnlyList<FleetMember>? verified, CancellationToken cancellationToken)
    {
        if (!prepared.Source.Metadata.IsFleet)
            throw new UsageException($"{prepared.Source.Metadata.Name} runs per tenant: give --tenant <id> or --all-tenants");
        var log = logger().ForContext("Tenant", EvidenceFormat.FleetScope).ForContext("Runbook", prepared.Source.Metadata.Name);
        var (registry, registryProblem) = await services.TryRegistry(cancellationToken);
        var record = execution.NewRecord(prepared, EvidenceScopes.Fleet, EvidenceFormat.FleetScope, RunbookArguments.ForEvidence(prepared.Source.Metadata, prepared.Parameters));
        var anchor = await execution.Anchor(record, registry, registryProblem, services.Registry is not null, null, prepared, cancellationToken);
        var scope = await FleetScopeReader.Read(registry, registryProblem, settings.Paths.Evidence, verified, cancellationToken);
        return await execution.Execute(prepared, record, anchor, log, cancellationToken,
            recorder => new FleetRunbook(recorder, prepared.Parameters, scope, services.Services));
    }

    public static bool CompilerLoaded() =>
        AppDomain.CurrentDomain.GetAssemblies().Any(a => a.GetName().Name == "Microsoft.CodeAnalysis");

    public static JsonObject ToJson(RunOutcome outcome) => new()
    {
        ["tenant"] = outcome.Tenant,
        ["outcome"] = outcome.Outcome,
        ["exit_code"] = outcome.ExitCode,
        ["evidence"] = outcome.EvidenceFile,
        ["compiled"] = outcome.Compiled,
        ["compiler_loaded"] = outcome.CompilerLoaded,
        ["error"] = outcome.Error,
        ["rolled_back"] = new JsonArray(outcome.RolledBack.Select(s => (JsonNode?)s).ToArray()),
        ["result"] = outcome.Result?.DeepClone(),
    };
}

/// <summary>Where a finished run's record goes (lib/Evidence writes the signed file).</summary>
internal interface IEvidenceSink
{
    /// <summary>
    /// Proves, before the run touches anything, that its evidence can be written: returns the SHA-256 of the scope's chain
    /// head the run will link to (null for a first file). Throws <see cref="UsageException"/> when it cannot.
    /// </summary>
    string? Preflight(string scope, DateTimeOffset startedAt);

    string Write(RunRecord record);
}
