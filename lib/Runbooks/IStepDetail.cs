namespace RunbookHost.Runbooks;

/// <summary>
/// A value a reading step returns that says, in one line, what the step found (e.g. which key opens a backup, which
/// secret names differ). The recorder logs it and keeps it as the step's detail in the evidence, in a dry run too.
/// It must never contain a secret value.
/// </summary>
public interface IStepDetail
{
    string Detail { get; }
}
