using RunbookHost.Evidence;

namespace RunbookHost.Runbooks;

/// <summary>
/// Live verification a runbook step performs (probes, catalog reads), described before it runs so a dry run can
/// show what would be probed without creating test data. Facades in lib/ return these; a runbook records their
/// results with one <c>Checks(name, probe)</c> step. The host applies the dry run: the script never asks.
/// </summary>
public interface ICheckOperation
{
    /// <summary>What would be probed, in words an auditor can read; never a secret.</summary>
    IReadOnlyList<string> Describe();

    /// <summary>Runs the probes and returns every result, passing or not. Throws only when the probing itself broke.</summary>
    Task<IReadOnlyList<CheckRecord>> RunAsync(CancellationToken cancellationToken);
}

/// <summary>A check operation made from a delegate.</summary>
public sealed class CheckOperation(IReadOnlyList<string> description, Func<CancellationToken, Task<IReadOnlyList<CheckRecord>>> run) : ICheckOperation
{
    public IReadOnlyList<string> Describe() => description;

    public Task<IReadOnlyList<CheckRecord>> RunAsync(CancellationToken cancellationToken) => run(cancellationToken);

    /// <summary>Checks known without probing (a store that is not configured, a component the tenant lacks).</summary>
    public static CheckOperation Fixed(params CheckRecord[] checks) =>
        new(checks.Select(c => $"{c.Store}/{c.Test}: {c.Detail ?? c.Result}").ToList(), _ => Task.FromResult<IReadOnlyList<CheckRecord>>(checks));
}
