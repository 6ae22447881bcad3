namespace RunbookHost.Stores.Qdrant;

/// <summary>
/// A dry-runnable sequence of Qdrant steps: <see cref="Describe"/> lists the exact gRPC calls without
/// connecting (keys and tokens masked as `***`); <see cref="ApplyAsync"/> performs them.
/// </summary>
public sealed class QdrantPlan
{
    private readonly IReadOnlyList<string> _steps;
    private readonly Func<CancellationToken, Task> _apply;

    internal QdrantPlan(IReadOnlyList<string> steps, Func<CancellationToken, Task> apply)
    {
        _steps = steps;
        _apply = apply;
    }

    public IReadOnlyList<string> Describe() => _steps;

    public Task ApplyAsync(CancellationToken cancellationToken) => _apply(cancellationToken);
}
