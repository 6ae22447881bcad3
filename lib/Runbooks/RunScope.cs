using RunbookHost.Tenants;

namespace RunbookHost.Runbooks;

/// <summary>
/// The run a facade is bound to: its tenant, its cancellation, and what the registry says the tenant has. Facades
/// built on it take neither a tenant nor a token from the runbook, so runbooks read like the spec's steps.
/// </summary>
public sealed class RunScope(TenantId tenant, TenantComponents components, IComponentLedger ledger, CancellationToken cancellationToken)
{
    public TenantId Tenant { get; } = tenant;
    public TenantComponents Components { get; } = components;
    public IComponentLedger Ledger { get; } = ledger;
    public CancellationToken CancellationToken { get; } = cancellationToken;
}
