namespace RunbookHost.Runbooks;

/// <summary>
/// One side effect a runbook step performs, described before it is applied so that a dry run can
/// print exactly what would happen (statements and commands, secrets masked) and a failed run can
/// undo it. Store facades in lib/ return these; runbooks pass them to <see cref="Runbook.Step(string, IRunbookOperation)"/>.
/// </summary>
public interface IRunbookOperation
{
    /// <summary>The exact statements or commands, with every secret replaced by <c>***</c>.</summary>
    IReadOnlyList<string> Describe();

    Task ApplyAsync(CancellationToken cancellationToken);

    /// <summary>Undoes <see cref="ApplyAsync"/>; null when the operation needs no undo (read-only, or completed by a re-run).</summary>
    Func<CancellationToken, Task>? Rollback { get; }
}

/// <summary>An operation made from delegates, for helpers whose work is not a store statement.</summary>
public sealed class RunbookOperation(
    IReadOnlyList<string> description,
    Func<CancellationToken, Task> apply,
    Func<CancellationToken, Task>? rollback = null) : IRunbookOperation
{
    public IReadOnlyList<string> Describe() => description;

    public Task ApplyAsync(CancellationToken cancellationToken) => apply(cancellationToken);

    public Func<CancellationToken, Task>? Rollback => rollback;
}
