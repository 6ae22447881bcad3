using RunbookHost.Evidence;
using RunbookHost.Runbooks;
using RunbookHost.Tenants;

namespace RunbookHost.Network;

/// <summary>
/// A tenant's network and compute boundary on one platform (docker offline, hetzner online). Each method is one
/// runbook step in the order of the network spec; each operation is idempotent and describes exactly what it does.
/// The network range is read from the registry only when a step runs (<see cref="NetworkLease"/>).
/// </summary>
public interface INetworkProvider
{
    /// <summary>"docker" or "hetzner": recorded in the ledger detail and every check's detail.</summary>
    string Name { get; }

    IRunbookOperation CreateNetwork(TenantId tenant, NetworkLease lease);
    IRunbookOperation CreateFirewall(TenantId tenant, NetworkLease lease);
    IRunbookOperation CreateVolume(TenantId tenant);
    IRunbookOperation CreateCompute(TenantId tenant, NetworkLease lease);
    IRunbookOperation PublishDns(TenantId tenant);

    IRunbookOperation Shutdown(TenantId tenant);
    IRunbookOperation DeleteCompute(TenantId tenant);
    IRunbookOperation DeleteNetwork(TenantId tenant);
    IRunbookOperation DeleteFirewall(TenantId tenant);
    IRunbookOperation DeleteVolume(TenantId tenant);
    IRunbookOperation RemoveDns(TenantId tenant);

    /// <summary>What <see cref="VerifyAsync"/> probes, for a dry run.</summary>
    IReadOnlyList<string> DescribeVerify(TenantId tenant);

    /// <summary>The tenant's boundary, proven: every expected ALLOW and DENY as a check.</summary>
    Task<IReadOnlyList<CheckRecord>> VerifyAsync(TenantNetwork network, CancellationToken cancellationToken);

    /// <summary>After deprovisioning: nothing labelled with the tenant is left.</summary>
    Task<IReadOnlyList<CheckRecord>> VerifyAbsentAsync(TenantId tenant, CancellationToken cancellationToken);

    /// <summary>Every pair of tenants' networks, from the platform's own view, without probing each pair.</summary>
    Task<IReadOnlyList<CheckRecord>> VerifyFleetAsync(IReadOnlyList<TenantNetwork> networks, CancellationToken cancellationToken);
}

/// <summary>The tenant's range, known to a dry run only by its pool, read from the registry when a step runs.</summary>
public sealed class NetworkLease(string describe, Func<CancellationToken, Task<TenantNetwork>> resolve)
{
    /// <summary>"10.7.0.0/16" when known, else "the tenant's range from 10.{octet}.0.0/16".</summary>
    public string Describe { get; } = describe;

    public Task<TenantNetwork> ResolveAsync(CancellationToken cancellationToken) => resolve(cancellationToken);

    public static NetworkLease Known(TenantNetwork network) => new(network.Cidr, _ => Task.FromResult(network));
}
