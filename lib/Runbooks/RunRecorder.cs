using System.Diagnostics;
using RunbookHost.Evidence;
using Serilog;

namespace RunbookHost.Runbooks;

/// <summary>
/// Records a run as its runbook goes: each named step with its status and duration, each check stamped with the
/// clock and its step, and how to undo what was done. The host, not the script, applies the dry run here: an action is
/// described and recorded as planned, a probe is described and not run. Scripts never see this type, only
/// <see cref="Runbook"/>'s methods and a read-only view of the record.
/// </summary>
public sealed class RunRecorder
{
    private readonly RunRecord record;
    private readonly ILogger log;
    private readonly TimeProvider clock;
    private readonly Func<string?> whyNotAct;
    private readonly List<(string Step, Func<CancellationToken, Task> Undo)> undo = [];
    private int completedSteps;

    /// <summary>
    /// <paramref name="whyNotAct"/> is asked before every action: a reason to refuse it (e.g. the run could not be recorded in
    /// the registry before acting), or null.
    /// </summary>
    public RunRecorder(RunRecord record, bool dryRun, ILogger log, TimeProvider clock, CancellationToken cancellationToken, Func<string?>? whyNotAct = null)
    {
        this.record = record;
        DryRun = dryRun;
        this.log = log;
        this.clock = clock;
        CancellationToken = cancellationToken;
        this.whyNotAct = whyNotAct ?? (() => null);
        View = new RunView(record);
    }

    public bool DryRun { get; }
    public CancellationToken CancellationToken { get; }
    public IRunView View { get; }
    internal ILogger Log => log;

    public async Task Step(string name, IRunbookOperation operation)
    {
        if (operation is SkippedOperation skipped)
        {
            Skip(name, skipped.Reason);
            return;
        }
        if (DryRun)
        {
            IReadOnlyList<string> plan;
            try
            {
                plan = operation.Describe();
            }
            catch (Exception error) when (error is not OperationCanceledException)
            {
                throw Failed(name, Stopwatch.GetTimestamp(), error);
            }
            Plan(name, plan);
            return;
        }
        if (whyNotAct() is { } refusal)
            throw Failed(name, Stopwatch.GetTimestamp(), new InvalidOperationException($"refusing to act: {refusal}"));
        await Run(name, () => operation.ApplyAsync(CancellationToken));
        if (operation.Rollback is { } rollback)
            undo.Add((name, rollback));
    }

    public async Task<T> Read<T>(string name, Func<Task<T>> read)
    {
        T value = default!;
        await Run(name, async () => value = await read());
        if (value is IStepDetail { Detail: { Length: > 0 } detail })
        {
            log.Information("{Step}: {Detail}", name, detail);
            record.Steps[^1] = record.Steps[^1] with { Detail = detail };
        }
        return value;
    }

    /// <summary>
    /// Runs a verification and records every check it returns. Probes that cannot run at all (a server down, a
    /// registry gone) do not fail the run as an isolation failure would: they make it incomplete, with the reason.
    /// </summary>
    public async Task Checks(string name, ICheckOperation checks)
    {
        if (DryRun)
        {
            Plan(name, checks.Describe());
            return;
        }
        CancellationToken.ThrowIfCancellationRequested();
        log.Information("{Step}", name);
        var started = Stopwatch.GetTimestamp();
        IReadOnlyList<CheckRecord> results;
        try
        {
            results = await checks.RunAsync(CancellationToken);
        }
        catch (Exception error) when (error is not OperationCanceledException)
        {
            var reason = $"the checks could not run: {FirstLine(error.Message)}";
            Record(name, CheckRecord.Incomplete("run", "checks_ran", reason));
            record.Steps.Add(new StepRecord(name, StepStatus.Failed, Elapsed(started), reason));
            return;
        }
        foreach (var check in results)
            Record(name, check);
        record.Steps.Add(new StepRecord(name, StepStatus.Succeeded, Elapsed(started)));
        CrashTestHook.Reached($"step:{++completedSteps}");
    }

    public void Skip(string name, string reason)
    {
        log.Information("{Step}: skipped: {Reason}", name, reason);
        record.Steps.Add(new StepRecord(name, StepStatus.Skipped, 0, $"skipped: {reason}"));
    }

    public void Note(string message) => log.Information("{Note}", message);

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
                record.RolledBack.Add(step);
                record.Steps.Add(new StepRecord($"rollback: {step}", StepStatus.RolledBack, Elapsed(started)));
            }
            catch (Exception error)
            {
                log.Error("rollback of {Step} failed: {Reason}", step, FirstLine(error.Message));
                record.Steps.Add(new StepRecord($"rollback: {step}", StepStatus.Failed, Elapsed(started), FirstLine(error.Message)));
            }
        }
        undo.Clear();
    }

    private void Plan(string name, IReadOnlyList<string> description)
    {
        foreach (var line in description)
            log.Information("[dry-run] {Step}: {Statement}", name, line);
        record.Steps.Add(new StepRecord(name, StepStatus.Planned, 0, string.Join("\n", description)));
    }

    private void Record(string step, CheckRecord check)
    {
        var stamped = check with { Timestamp = clock.GetUtcNow(), Step = step };
        record.Checks.Add(stamped);
        switch (stamped.Status)
        {
            case CheckStatus.Fail:
                log.Error("check {Store}/{Test}: {Result} (isolation violated)", stamped.Store, stamped.Test, stamped.Result);
                break;
            case CheckStatus.Incomplete:
                log.Warning("check {Store}/{Test}: not verified: {Detail}", stamped.Store, stamped.Test, stamped.Detail);
                break;
            default:
                log.Information("check {Store}/{Test}: {Result}", stamped.Store, stamped.Test, stamped.Result);
                break;
        }
    }

    private async Task Run(string name, Func<Task> body)
    {
        CancellationToken.ThrowIfCancellationRequested();
        log.Information("{Step}", name);
        var started = Stopwatch.GetTimestamp();
        try
        {
            await body();
        }
        catch (Exception error)
        {
            throw Failed(name, started, error);
        }
        record.Steps.Add(new StepRecord(name, StepStatus.Succeeded, Elapsed(started)));
        CrashTestHook.Reached($"step:{++completedSteps}");
    }

    private RunbookStepException Failed(string name, long started, Exception error)
    {
        record.Steps.Add(new StepRecord(name, StepStatus.Failed, Elapsed(started), FirstLine(error.Message)));
        return new RunbookStepException(name, error);
    }

    private static string FirstLine(string text) => text.Split('\n')[0].Trim();

    private static double Elapsed(long started) => Math.Round(Stopwatch.GetElapsedTime(started).TotalMilliseconds, 3);
}

public sealed class RunbookStepException(string step, Exception inner) : Exception($"step '{step}' failed: {inner.Message}", inner)
{
    public string StepName { get; } = step;
}
