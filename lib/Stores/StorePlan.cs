namespace RunbookHost.Stores;

/// <summary>
/// One named provisioning step. <see cref="Describe"/> is exactly what <see cref="ApplyAsync"/> would do,
/// with secrets masked, and never connects anywhere: a dry run prints it, a real run applies it.
/// </summary>
public sealed class PlanStep
{
    private readonly Func<CancellationToken, Task> _apply;

    public PlanStep(string store, string name, string description, Func<CancellationToken, Task> apply)
    {
        Store = store;
        Name = name;
        Description = description;
        _apply = apply;
    }

    /// <summary>"postgresql" or "redis".</summary>
    public string Store { get; }

    /// <summary>Stable step name, e.g. "create-database".</summary>
    public string Name { get; }

    /// <summary>The statements this step runs, secrets replaced by ***.</summary>
    public string Description { get; }

    public string Describe() => Description;

    public Task ApplyAsync(CancellationToken cancellationToken = default) => _apply(cancellationToken);

    public override string ToString() => $"{Store}/{Name}: {Description}";
}

/// <summary>An ordered list of steps for one tenant in one store.</summary>
public sealed class StorePlan
{
    public StorePlan(string store, string operation, Tenants.TenantId tenant, IReadOnlyList<PlanStep> steps)
    {
        Store = store;
        Operation = operation;
        Tenant = tenant;
        Steps = steps;
    }

    public string Store { get; }

    /// <summary>"provision" or "deprovision".</summary>
    public string Operation { get; }

    public Tenants.TenantId Tenant { get; }

    public IReadOnlyList<PlanStep> Steps { get; }

    /// <summary>One line per step: "name: statements". Safe to log: secrets are masked.</summary>
    public IReadOnlyList<string> Describe() => Steps.Select(s => $"{s.Name}: {s.Description}").ToList();

    /// <summary>Applies every step in order; stops at the first failure (the exception names the step).</summary>
    public async Task ApplyAsync(CancellationToken cancellationToken = default)
    {
        foreach (var step in Steps)
        {
            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                await step.ApplyAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException and not StoreStepException)
            {
                throw new StoreStepException(Store, step.Name, e);
            }
        }
    }
}

/// <summary>A plan step failed. The message names store and step; the inner exception says why (never a secret).</summary>
public sealed class StoreStepException(string store, string step, Exception inner)
    : Exception($"{store} step '{step}' failed: {inner.Message}", inner)
{
    public string Store { get; } = store;
    public string Step { get; } = step;
}
