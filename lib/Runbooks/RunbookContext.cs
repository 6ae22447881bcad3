using System.Diagnostics;
using RunbookHost.Configuration;
using RunbookHost.Evidence;
using RunbookHost.Keys.KeyRing;
using RunbookHost.Runbooks.Steps;
using RunbookHost.Tenants;
using Serilog;

namespace RunbookHost.Runbooks;

/// <summary>
/// Everything a runbook sees (its script globals). Kept small and stable: versioned runbooks depend on it.
/// A runbook is a list of named steps; each step is recorded in the evidence with its status and
/// duration, and steps that registered an undo are rolled back in reverse order if a later one fails.
/// </summary>
public class RunbookContext
{
    private readonly TimeProvider clock;
    private readonly List<(string Step, Func<CancellationToken, Task> Undo)> undo = [];
    private int completedSteps;

    private readonly RunbookServices services;

    public RunbookContext(TenantId tenant, IReadOnlyDictionary<string, string> parameters, bool dryRun,
        RunRecord record, ILogger log, TimeProvider clock, RunbookServices services, CancellationToken cancellationToken)
    {
        this.services = services;
        Tenant = tenant;
        Params = parameters;
        DryRun = dryRun;
        Record = record;
        Log = log;
        this.clock = clock;
        CancellationToken = cancellationToken;
    }

    /// <summary>The validated tenant this run is for.</summary>
    public TenantId Tenant { get; }
    /// <summary>Declared parameters after validation and defaults.</summary>
    public IReadOnlyDictionary<string, string> Params { get; }
    /// <summary>When true, steps are described and recorded as planned, never applied.</summary>
    public bool DryRun { get; }
    public CancellationToken CancellationToken { get; }
    public ILogger Log { get; }
    public RunRecord Record { get; }
    public DateTimeOffset Now => clock.GetUtcNow();

    /// <summary>The validated configuration (paths, store settings, key rotation and retention days).</summary>
    public HostSettings Settings => services.Settings;
    /// <summary>The tenant key ring: age keys, SOPS secrets, rotation, archive (spec §6-§8).</summary>
    public TenantKeyRing Keys => services.Keys;
    /// <summary>MinIO steps (spec §2).</summary>
    public MinioSteps Minio => services.Minio;
    /// <summary>Qdrant steps (spec §4).</summary>
    public QdrantSteps Qdrant => services.Qdrant;
    /// <summary>PostgreSQL steps (spec §3).</summary>
    public PostgresSteps Postgres => services.Postgres;
    /// <summary>Redis steps (spec §5).</summary>
    public RedisSteps Redis => services.Redis;
    /// <summary>Control-plane registry steps (spec §8).</summary>
    public RegistrySteps Registry => services.Registry;

    /// <summary>A declared parameter's value (after defaults), or empty when optional and absent.</summary>
    public string Param(string name) => Params.TryGetValue(name, out var value) ? value : "";

    /// <summary>Runs (or, in a dry run, describes) one named operation, remembering how to undo it.</summary>
    public async Task Step(string name, IRunbookOperation operation)
    {
        if (operation is SkippedOperation skipped)
        {
            Skip(name, skipped.Reason);
            return;
        }
        var started = Stopwatch.GetTimestamp();
        var description = operation.Describe();
        if (DryRun)
        {
            foreach (var line in description)
                Log.Information("[dry-run] {Step}: {Statement}", name, line);
            Record.Steps.Add(new StepRecord(name, StepStatus.Planned, 0, string.Join("\n", description)));
            return;
        }
        await Run(name, started, () => operation.ApplyAsync(CancellationToken));
        if (operation.Rollback is { } rollback)
            undo.Add((name, rollback));
    }

    /// <summary>Runs a named step that computes a value. In a dry run it still runs: use it only for reads.</summary>
    public async Task<T> Step<T>(string name, Func<Task<T>> read)
    {
        var started = Stopwatch.GetTimestamp();
        T value = default!;
        await Run(name, started, async () => value = await read());
        return value;
    }

    /// <summary>Records a step that was deliberately not run (e.g. a store that is disabled), so it is never silent.</summary>
    public void Skip(string name, string reason)
    {
        Log.Information("{Step}: skipped: {Reason}", name, reason);
        Record.Steps.Add(new StepRecord(name, StepStatus.Skipped, 0, $"skipped: {reason}"));
    }

    /// <summary>Records one verification result (spec §9.2): the store, the test, what happened, and whether that is what isolation requires.</summary>
    public void Check(string store, string test, string result, bool pass, string? detail = null)
    {
        Record.Checks.Add(new CheckRecord(store, test, result, clock.GetUtcNow(), pass, detail));
        if (pass)
            Log.Information("check {Store}/{Test}: {Result}", store, test, result);
        else
            Log.Error("check {Store}/{Test}: {Result} (isolation violated)", store, test, result);
    }

    public void Check(CheckRecord check) => Check(check.Store, check.Test, check.Result, check.Pass, check.Detail);

    /// <summary>Called by the host after a failure: undoes completed steps, newest first. Never throws.</summary>
    public async Task RollbackAsync()
    {
        for (var i = undo.Count - 1; i >= 0; i--)
        {
            var (step, rollback) = undo[i];
            var started = Stopwatch.GetTimestamp();
            try
            {
                await rollback(CancellationToken.None);
                Record.RolledBack.Add(step);
                Record.Steps.Add(new StepRecord($"rollback: {step}", StepStatus.RolledBack, Elapsed(started)));
            }
            catch (Exception error)
            {
                Log.Error("rollback of {Step} failed: {Reason}", step, error.Message);
                Record.Steps.Add(new StepRecord($"rollback: {step}", StepStatus.Failed, Elapsed(started), error.Message));
            }
        }
        undo.Clear();
    }

    private async Task Run(string name, long started, Func<Task> body)
    {
        CancellationToken.ThrowIfCancellationRequested();
        Log.Information("{Step}", name);
        try
        {
            await body();
        }
        catch (Exception error)
        {
            Record.Steps.Add(new StepRecord(name, StepStatus.Failed, Elapsed(started), error.Message));
            throw new RunbookStepException(name, error);
        }
        Record.Steps.Add(new StepRecord(name, StepStatus.Succeeded, Elapsed(started)));
        CrashTestHook.Reached($"step:{++completedSteps}");
    }

    private static double Elapsed(long started) => Math.Round(Stopwatch.GetElapsedTime(started).TotalMilliseconds, 3);
}

public sealed class RunbookStepException(string step, Exception inner) : Exception($"step '{step}' failed: {inner.Message}", inner)
{
    public string StepName { get; } = step;
}
