namespace RunbookHost.Runbooks;

/// <summary>
/// What every runbook script sees, whatever it runs for. Kept small and stable: versioned runbooks depend on it, and
/// auditors read runbooks against it (its public surface is pinned by tests/Runbooks/RunbookApi.approved.txt).
/// A runbook is a list of named steps: <see cref="Step(string, IRunbookOperation)"/> for actions,
/// <see cref="Checks"/> for verification. The host applies <c>--dry-run</c>: the script never asks.
/// </summary>
public abstract class Runbook
{
    private readonly RunRecorder recorder;
    private readonly IReadOnlyDictionary<string, string> parameters;

    private protected Runbook(RunRecorder recorder, IReadOnlyDictionary<string, string> parameters)
    {
        this.recorder = recorder;
        this.parameters = parameters;
    }

    /// <summary>A declared parameter's value (after defaults), or empty when optional and absent.</summary>
    public string Param(string name) => parameters.TryGetValue(name, out var value) ? value : "";

    /// <summary>What the run has recorded so far, read-only.</summary>
    public IRunView Record => recorder.View;

    /// <summary>Applies one named action (in a dry run: records its plan), remembering how to undo it if a later step fails.</summary>
    public Task Step(string name, IRunbookOperation operation) => recorder.Step(name, operation);

    /// <summary>A named step that only reads (it also runs in a dry run) and returns what it read.</summary>
    public Task<T> Step<T>(string name, Func<Task<T>> read) => recorder.Read(name, read);

    /// <summary>Runs one named verification and records every check it returns (in a dry run: records what it would probe).</summary>
    public Task Checks(string name, ICheckOperation checks) => recorder.Checks(name, checks);

    /// <summary>Records a step deliberately not run, with the reason, so it is never silent.</summary>
    public void Skip(string name, string reason) => recorder.Skip(name, reason);

    /// <summary>Writes one line to the run's log (never a secret).</summary>
    public void Note(string message) => recorder.Note(message);
}
