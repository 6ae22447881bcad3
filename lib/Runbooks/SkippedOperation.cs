namespace RunbookHost.Runbooks;

/// <summary>
/// Returned by a step helper whose store is disabled or not configured: <see cref="Runbook.Step(string, IRunbookOperation)"/>
/// records it as skipped with the reason, so a disabled store is visible in the evidence, never silent.
/// </summary>
public sealed class SkippedOperation(string reason) : IRunbookOperation
{
    public string Reason { get; } = reason;

    public IReadOnlyList<string> Describe() => [$"skipped: {Reason}"];

    public Task ApplyAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Func<CancellationToken, Task>? Rollback => null;
}
