using RunbookHost.Evidence;

namespace RunbookHost.Runbooks;

/// <summary>What a script may read of its own record: it cannot add, remove or change what the evidence will say.</summary>
public interface IRunView
{
    IReadOnlyList<StepRecord> Steps { get; }
    IReadOnlyList<CheckRecord> Checks { get; }
}

internal sealed class RunView(RunRecord record) : IRunView
{
    public IReadOnlyList<StepRecord> Steps => record.Steps.AsReadOnly();
    public IReadOnlyList<CheckRecord> Checks => record.Checks.AsReadOnly();
}
