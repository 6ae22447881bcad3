namespace RunbookHost.Stores.Minio;

/// <summary>
/// One provisioning/deprovisioning step: <see cref="Describe"/> lists the exact admin/S3 calls it makes
/// (secrets masked as ***) without connecting; <see cref="ApplyAsync"/> performs them. Every step is idempotent.
/// </summary>
public sealed class MinioStep(string name, IReadOnlyList<string> calls, Func<CancellationToken, Task> apply)
{
    public string Name { get; } = name;

    public IReadOnlyList<string> Describe() => calls;

    public Task ApplyAsync(CancellationToken ct) => apply(ct);

    public override string ToString() => Name;
}

/// <summary>An ordered list of <see cref="MinioStep"/>s; applying it applies each in order and stops at the first failure (re-applying resumes).</summary>
public sealed class MinioPlan(string name, IReadOnlyList<MinioStep> steps)
{
    public string Name { get; } = name;

    public IReadOnlyList<MinioStep> Steps { get; } = steps;

    /// <summary>Every call of every step, each line prefixed with its step name.</summary>
    public IReadOnlyList<string> Describe() =>
        Steps.SelectMany(s => s.Describe().Select(line => $"[{s.Name}] {line}")).ToList();

    public async Task ApplyAsync(CancellationToken ct)
    {
        foreach (var step in Steps)
        {
            ct.ThrowIfCancellationRequested();
            await step.ApplyAsync(ct).ConfigureAwait(false);
        }
    }
}
