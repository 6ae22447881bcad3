using RunbookHost.Evidence;

namespace RunbookHost.Runbooks.Steps;

/// <summary>How every tenant facade decides between probing and recording why it did not.</summary>
internal static class Verification
{
    /// <summary>
    /// The verification of <paramref name="component"/>: the probe when the tenant has it (or the deployment requires it)
    /// and it is configured (<paramref name="whyNotConfigured"/> null); otherwise the one skipped or incomplete check
    /// <see cref="RunScope.InsteadOfProbing"/> decides, so a store that is not configured never passes vacuously.
    /// </summary>
    public static ICheckOperation Probe(RunScope scope, string component, string store, string test, string? whyNotConfigured,
        IReadOnlyList<string> description, Func<CancellationToken, Task<IReadOnlyList<CheckRecord>>> probe) =>
        scope.InsteadOfProbing(component, store, test, whyNotConfigured) is { } instead
            ? CheckOperation.Fixed(instead)
            : new CheckOperation(description, probe);

    public static CheckRecord Absence(string store, string test, bool absent, string what) =>
        new(store, test, absent ? "ABSENT" : "PRESENT", default, absent, what);
}
