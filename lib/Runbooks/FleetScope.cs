using RunbookHost.Tenants;

namespace RunbookHost.Runbooks;

/// <summary>A tenant's result in the run that verified the fleet (one of <see cref="Evidence.RunOutcomes"/>).</summary>
public sealed record FleetMember(TenantId Tenant, string Outcome);

/// <summary>
/// What a fleet-wide run proves and the three views of the fleet it compares: the registry's tenants, the tenants that
/// have evidence chains, and (after <c>run verify --all-tenants</c>) the tenants that run verified. Built by the host.
/// </summary>
public sealed class FleetScope
{
    /// <summary>The registry's active tenants: the fleet under proof (empty when the registry is unknown).</summary>
    public required IReadOnlyList<TenantId> Active { get; init; }
    /// <summary>Every tenant the registry knows, whatever its status.</summary>
    public required IReadOnlyList<TenantId> Registered { get; init; }
    /// <summary>Null when the registry was read; otherwise why it could not be.</summary>
    public string? RegistryUnknownBecause { get; init; }
    /// <summary>What each tenant was provisioned in, from the registry.</summary>
    public required IReadOnlyDictionary<TenantId, IReadOnlyList<TenantComponent>> Components { get; init; }
    /// <summary>Tenants with a folder of evidence files.</summary>
    public required IReadOnlyList<TenantId> WithEvidence { get; init; }
    /// <summary>The tenants this invocation verified, with their outcomes; null when the fleet run stands alone.</summary>
    public IReadOnlyList<FleetMember>? Verified { get; init; }
    public CancellationToken CancellationToken { get; init; }
}
