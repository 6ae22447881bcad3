using RunbookHost.Registry;
using RunbookHost.Runbooks;
using RunbookHost.Tenants;

namespace RunbookHost.Cli.Execution;

/// <summary>What the registry says a tenant has, read once at the start of its run (see <see cref="TenantComponents"/>).</summary>
internal static class TenantComponentsReader
{
    public static async Task<TenantComponents> Read(TenantRegistry? registry, string? registryProblem, TenantId tenant, CancellationToken cancellationToken)
    {
        if (registry is null)
            return TenantComponents.Unknown(registryProblem ?? "no registry");
        var record = await registry.GetAsync(tenant, cancellationToken);
        var components = (await registry.ListComponentsAsync(tenant, cancellationToken)).GetValueOrDefault(tenant) ?? [];
        // A tenant activated before components were recorded has none on record: that is not "has nothing".
        if (record is { Status: TenantStatus.Active } && components.Count == 0)
            return TenantComponents.Unknown($"the registry has no component record for {tenant} (provisioned before runbook-host recorded them): run provision again to record it");
        return TenantComponents.Known(components);
    }
}
