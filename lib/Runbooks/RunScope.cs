using RunbookHost.Evidence;
using RunbookHost.Tenants;

namespace RunbookHost.Runbooks;

/// <summary>
/// The run a facade is bound to: its tenant, its cancellation, what the registry says the tenant has, and what the
/// deployment requires every tenant to have. Facades built on it take neither a tenant nor a token from the runbook,
/// so runbooks read like the spec's steps.
/// </summary>
public sealed class RunScope(TenantId tenant, TenantComponents components, IComponentLedger ledger, CancellationToken cancellationToken,
    IReadOnlyCollection<string>? required = null)
{
    public TenantId Tenant { get; } = tenant;
    public TenantComponents Components { get; } = components;
    public IComponentLedger Ledger { get; } = ledger;
    public CancellationToken CancellationToken { get; } = cancellationToken;
    /// <summary>Components every tenant of this deployment must have (Verify:RequiredComponents).</summary>
    public IReadOnlyCollection<string> Required { get; } = required ?? [];

    /// <summary>
    /// Whether a verification of <paramref name="component"/> must probe, or what to record instead. Null: probe it (the
    /// tenant has it or the deployment requires it, and it is configured). Otherwise the check to record: skipped only
    /// when the registry says the tenant does not have it and the deployment does not require it; incomplete when it is
    /// expected but not configured (<paramref name="whyNotConfigured"/>), required but not recorded, or unknown.
    /// </summary>
    public CheckRecord? InsteadOfProbing(string component, string store, string test, string? whyNotConfigured)
    {
        var required = Required.Contains(component);
        var has = Components.Has(component);
        if (Components.IsKnown && !has && required)
            return CheckRecord.Incomplete(store, test, $"the deployment requires {component} for every tenant, and the registry has no {component} for {Tenant}: run provision");
        if (has || required)
            return whyNotConfigured is null ? null : CheckRecord.Incomplete(store, test, $"the tenant has {component}, but {whyNotConfigured}");
        if (Components.IsKnown)
            return CheckRecord.Skipped(store, test, $"the tenant has no {component}");
        return CheckRecord.Incomplete(store, test, $"whether the tenant has {component} is unknown: {Components.UnknownBecause}"
            + (whyNotConfigured is null ? "" : $"; and {whyNotConfigured}"));
    }
}
