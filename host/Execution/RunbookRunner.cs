using System.Text.Json;
using System.Text.Json.Nodes;
using RunbookHost.Cli.Scripting;
using RunbookHost.Configuration;
using RunbookHost.Evidence;
using RunbookHost.Registry;
using RunbookHost.Runbooks;
using RunbookHost.Runbooks.Steps;
using RunbookHost.Tenants;
using Serilog;

namespace RunbookHost.Cli.Execution;

/// <summary>
/// The whole `run` path, shared by the CLI, `--all-tenants` and the scheduler: validate everything,
/// obtain the compiled runbook, take the tenant lock, run, roll back on failure, write the evidence.
/// </summary>
internal sealed class RunbookRunner(HostSettings settings, RunbookCatalog catalog, Func<ILogger> logger, TimeProvider clock, IEvidenceSink evidence, ServicesFactory services)
{
    private static readonly TimeSpan LockTimeout = TimeSpan.FromMinutes(2);
    private readonly CompiledRunbookCache cache = new(settings.Paths.Cache);

    /// <summary>A runbook that passed every check that needs no side effect, ready to run for any tenant.</summary>
    public sealed record Prepared(RunbookSource Source, IReadOnlyDictionary<string, string> Parameters, CompiledRunbookCache.Entry Compiled, bool DryRun);

    /// <summary>Validates the runbook, its lock entry and parameters, and compiles it (or loads it from the cache). Throws <see cref="UsageException"/>.</summary>
    public Prepared Prepare(string runbook, IReadOnlyList<string> rawParams, bool dryRun)
    {
        try
        {
            var source = catalog.Find(runbook);
            var runbookLock = catalog.ReadLock();
            foreach (var file in source.Files)
            {
                var problem = runbookLock.Problem(file == source.Path ? source : RunbookSource.Load(source.Root, file));
                if (problem is not null)
                    throw new UsageException(problem);
            }
            var parameters = RunbookArguments.Resolve(source.Metadata, rawParams);
            var compiled = cache.GetOrCompile(source);
            return new Prepared(source, parameters, compiled, dryRun);
        }
        catch (Exception error) when (error is RunbookArgumentException or RunbookDefinitionException or RunbookCompileException)
        {
            throw new UsageException(error.Message);
        }
    }

    public async Task<RunOutcome> Run(Prepared prepared, TenantId tenant, CancellationToken cancellationToken)
    {
        var metadata = prepared.Source.Metadata;
        var tenantLog = logger().ForContext("Tenant", tenant.Value).ForContext("Runbook", metadata.Name);
        // One run per tenant at a time: on this machine (flock) and across machines (registry advisory lock).
        using var tenantLock = TenantFileLock.Acquire(settings.Paths.Secrets, tenant, LockTimeout, cancellationToken);
        var registry = await services.ReadyRegistry(cancellationToken);
        await using var registryLock = registry is null ? null : await registry.AcquireTenantLockAsync(tenant, LockTimeout, cancellationToken);
        // The run starts once it holds the tenant: a run that waited for another must not date its evidence
        // before that other run's, or the tenant's evidence chain would be out of order.
        var record = NewRecord(prepared, tenant.Value, RunbookArguments.ForEvidence(metadata, prepared.Parameters));
        var runId = registry is null ? (Guid?)null : await registry.RecordRunStartedAsync(
            new RunStart(metadata.Name, metadata.Version, prepared.Source.SourceSha256, tenant, prepared.DryRun, record.StartedAt), cancellationToken);
        var context = new RunbookContext(tenant, prepared.Parameters, prepared.DryRun, record, tenantLog, clock, services.Services, cancellationToken);
        var exitCode = ExitCodes.Success;
        try
        {
            var result = await RunbookInvoker.Invoke(prepared.Compiled, context);
            record.Result = result is null ? null : JsonSerializer.SerializeToNode(result, result.GetType());
            record.OverallPass = record.Checks.All(c => c.Pass);
            if (!record.OverallPass)
            {
                exitCode = ExitCodes.RunbookFailed;
                record.Error = $"{record.Checks.Count(c => !c.Pass)} check(s) failed";
            }
        }
        catch (Exception error)
        {
            exitCode = ExitCodes.RunbookFailed;
            record.OverallPass = false;
            record.Error = Describe(error);
            tenantLog.Error("{Runbook} failed: {Error}", metadata.Name, record.Error);
            tenantLog.Debug(error, "{Runbook} failure details", metadata.Name);
            await context.RollbackAsync();
        }
        record.FinishedAt = clock.GetUtcNow();
        var file = evidence.Write(record);
        if (registry is not null && runId is { } id)
            await registry.RecordRunFinishedAsync(id, new RunFinish(exitCode == ExitCodes.Success ? RunStatus.Succeeded : RunStatus.Failed, record.FinishedAt,
                Path.GetRelativePath(settings.Paths.Evidence, file), EvidenceFormat.Sha256Hex(File.ReadAllBytes(file))), CancellationToken.None);
        tenantLog.Debug("runbook {Runbook} {Version}: {How}", metadata.Name, metadata.Version, prepared.Compiled.Compiled ? "compiled" : "loaded from cache");
        tenantLog.Information("evidence: {File}", file);
        return new RunOutcome(tenant.Value, exitCode, file, prepared.Compiled.Compiled, CompilerLoaded(), record.Error, record.RolledBack, record.Result);
    }

    /// <summary>
    /// After `run verify --all-tenants`: the fleet-wide proof (every tenant principal × every other tenant's
    /// namespace, from each store's own catalog), signed into evidence/_fleet/. Any pair allowed fails it.
    /// </summary>
    public async Task<RunOutcome> RunFleetProof(Prepared prepared, IReadOnlyList<TenantId> tenants, CancellationToken cancellationToken)
    {
        var metadata = prepared.Source.Metadata;
        var record = NewRecord(prepared, EvidenceFormat.FleetScope,
            new Dictionary<string, string> { ["tenants"] = tenants.Count.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        const string step = "fleet-wide isolation proof: every tenant principal x every other tenant namespace";
        try
        {
            foreach (var check in await FleetProof.RunAsync(services.Services, tenants, cancellationToken))
                record.Checks.Add(check with { Timestamp = clock.GetUtcNow() });
            record.Steps.Add(new StepRecord(step, StepStatus.Succeeded, System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds));
            record.OverallPass = record.Checks.All(c => c.Pass);
            record.Error = record.OverallPass ? null : $"{record.Checks.Count(c => !c.Pass)} fleet check(s) failed";
        }
        catch (Exception error) when (error is not OperationCanceledException)
        {
            record.Steps.Add(new StepRecord(step, StepStatus.Failed, System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds, error.Message));
            record.Error = Describe(error);
        }
        record.FinishedAt = clock.GetUtcNow();
        var file = evidence.Write(record);
        logger().Information("fleet proof: {Result}, evidence {File}", record.OverallPass ? "passed" : record.Error, file);
        return new RunOutcome(EvidenceFormat.FleetScope, record.OverallPass ? ExitCodes.Success : ExitCodes.RunbookFailed, file, false, CompilerLoaded(), record.Error, [], null);
    }

    private RunRecord NewRecord(Prepared prepared, string scope, IReadOnlyDictionary<string, string> parameters) => new()
    {
        Runbook = prepared.Source.Metadata.Name,
        RunbookVersion = prepared.Source.Metadata.Version,
        RunbookFile = prepared.Source.DisplayPath,
        RunbookSha256 = prepared.Source.SourceSha256,
        Tenant = scope,
        Parameters = parameters,
        DryRun = prepared.DryRun,
        StartedAt = clock.GetUtcNow(),
        HostVersion = HostInfo.Version,
        Operator = HostInfo.Operator,
    };

    /// <summary>A runbook failure as one line, pointing at the runbook line when the failure came from the script itself.</summary>
    private static string Describe(Exception error)
    {
        var frame = new System.Diagnostics.StackTrace(error, fNeedFileInfo: true).GetFrames()
            .FirstOrDefault(f => f.GetFileName()?.EndsWith(".csx", StringComparison.Ordinal) == true);
        var where = frame is null ? "" : $" (at {Path.GetFileName(frame.GetFileName())}:{frame.GetFileLineNumber()})";
        return error.Message.Split('\n')[0].Trim() + where;
    }

    public static bool CompilerLoaded() =>
        AppDomain.CurrentDomain.GetAssemblies().Any(a => a.GetName().Name == "Microsoft.CodeAnalysis");

    public static JsonObject ToJson(RunOutcome outcome) => new()
    {
        ["tenant"] = outcome.Tenant,
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
    string Write(RunRecord record);
}
