using RunbookHost.Evidence;
using RunbookHost.Runbooks;
using RunbookHost.Tenants;

namespace RunbookHost.Tests.Network;

/// <summary>A ledger that remembers in memory what a step recorded (the registry's tenant_components in a real run).</summary>
public sealed class MemoryLedger : IComponentLedger
{
    public Dictionary<string, string?> Components { get; } = new(StringComparer.Ordinal);

    public Task RecordAsync(string component, string? detail, CancellationToken cancellationToken)
    {
        lock (Components)
            Components[component] = detail;
        return Task.CompletedTask;
    }

    public Task RemoveAsync(string component, CancellationToken cancellationToken)
    {
        lock (Components)
            Components.Remove(component);
        return Task.CompletedTask;
    }

    /// <summary>The run's view of what the tenant has, as the host would read it from the registry.</summary>
    public TenantComponents Known()
    {
        lock (Components)
            return TenantComponents.Known(Components.Select(c => new TenantComponent(c.Key, "test@1", DateTimeOffset.UnixEpoch, c.Value)));
    }
}

/// <summary>
/// Runs operations the way the host runs a runbook's steps: in order, and when one fails, the undo of every completed
/// step newest first. Returns the failure (null when all succeeded) so tests can look at what was left behind.
/// </summary>
public static class StepSequence
{
    public static async Task<Exception?> RunAsync(params IRunbookOperation[] operations)
    {
        var done = new List<IRunbookOperation>();
        foreach (var operation in operations)
        {
            if (operation is SkippedOperation)
                continue;
            try
            {
                await operation.ApplyAsync(CancellationToken.None);
                done.Add(operation);
            }
            catch (Exception error)
            {
                for (var i = done.Count - 1; i >= 0; i--)
                {
                    if (done[i].Rollback is { } undo)
                        await undo(CancellationToken.None);
                }
                return error;
            }
        }
        return null;
    }

    public static RunScope Scope(TenantId tenant, MemoryLedger ledger) => new(tenant, ledger.Known(), ledger, CancellationToken.None);

    /// <summary>Every check passed; the only skip allowed is cross_tenant when the tenant is alone on the platform.</summary>
    public static void AssertAllPass(IReadOnlyList<CheckRecord> checks) =>
        Assert.True(checks.All(Passed),
            "failed: " + string.Join("\n", checks.Where(c => !Passed(c)).Select(c => $"{c.Test} {c.Result} {c.Status} {c.Detail}")));

    private static bool Passed(CheckRecord c) =>
        c.Pass && (c.Status == CheckStatus.Pass || c.Status == CheckStatus.Skipped && c.Test == "cross_tenant");
}
