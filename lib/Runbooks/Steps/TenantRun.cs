using RunbookHost.Keys.KeyRing;
using RunbookHost.Tenants;

namespace RunbookHost.Runbooks.Steps;

/// <summary>
/// What the tenant facades of one run share: the scope they are bound to, the process-wide services, the tenant's
/// credentials (decrypted only when a step that needs them runs, never in a dry run) and the other tenants that
/// cross-tenant probes target (read from the registry once per run).
/// </summary>
public sealed class TenantRun
{
    private readonly Lazy<Task<IReadOnlyList<TenantId>>> otherTenants;

    internal TenantRun(RunScope scope, RunbookServices services)
    {
        Scope = scope;
        Services = services;
        otherTenants = new(PickOtherTenants);
    }

    /// <summary>
    /// Without a reachable registry there is no one to pick: the probes that need another tenant then use a name no tenant
    /// has, and the run is already incomplete for the registry itself.
    /// </summary>
    private async Task<IReadOnlyList<TenantId>> PickOtherTenants()
    {
        if (Services.Registry is null || !Scope.Components.IsKnown)
            return [];
        return await Services.Registry.PickOtherActiveTenantsAsync(Scope.Tenant, CrossTenantProbes, Scope.CancellationToken);
    }

    /// <summary>How many other tenants each verification probes: enough to catch a leak, constant so a fleet run stays linear.</summary>
    public const int CrossTenantProbes = 3;

    public RunScope Scope { get; }
    public TenantId Tenant => Scope.Tenant;
    internal RunbookServices Services { get; }
    internal TenantKeyRing KeyRing => Services.Keys;

    /// <summary>The tenant's credentials, decrypted now (a step calls this when it runs, so the plaintext lives only as long as the step).</summary>
    internal TenantSecrets Secrets() => KeyRing.LoadSecrets(Tenant);

    /// <summary>A few other active tenants (at random), the targets of cross-tenant probes; empty without a registry.</summary>
    internal Task<IReadOnlyList<TenantId>> OtherTenants() => otherTenants.Value;

    /// <summary>Records that this run gave the tenant <paramref name="component"/> (and the store's detail).</summary>
    internal Task Provisioned(string component, string? detail, CancellationToken cancellationToken) =>
        Scope.Ledger.RecordAsync(component, detail, cancellationToken);

    internal Task Removed(string component, CancellationToken cancellationToken) => Scope.Ledger.RemoveAsync(component, cancellationToken);
}
