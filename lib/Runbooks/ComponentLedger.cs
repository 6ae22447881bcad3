using RunbookHost.Registry;
using RunbookHost.Tenants;

namespace RunbookHost.Runbooks;

/// <summary>
/// The component record of one run: every change goes to the registry (when there is one) and to the run's own view,
/// so a provisioning run's verification proves what it has just provisioned.
/// </summary>
public sealed class ComponentLedger(TenantRegistry? registry, TenantId tenant, TenantComponents components, string provisionedBy, TimeProvider clock)
    : IComponentLedger
{
    public async Task RecordAsync(string component, string? detail, CancellationToken cancellationToken)
    {
        var record = new TenantComponent(component, provisionedBy, clock.GetUtcNow(), detail);
        if (registry is not null)
            await registry.RecordComponentAsync(tenant, record, cancellationToken);
        components.Added(record);
    }

    public async Task RemoveAsync(string component, CancellationToken cancellationToken)
    {
        if (registry is not null)
            await registry.RemoveComponentAsync(tenant, component, cancellationToken);
        components.Removed(component);
    }
}
