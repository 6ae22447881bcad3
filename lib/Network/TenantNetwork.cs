using System.Net;
using RunbookHost.Tenants;

namespace RunbookHost.Network;

/// <summary>
/// A tenant's private network as the registry allocated it (tenant_networks): the pool it came from, its slot in
/// that pool, and the range. The same range is the tenant's PostgreSQL pg_hba network and its Docker subnet or
/// Hetzner ip_range, so the stores and the network can never disagree about where a tenant's traffic comes from.
/// </summary>
public sealed record TenantNetwork(TenantId Tenant, string Pool, int Slot, IPNetwork Range)
{
    /// <summary>The range as text, e.g. 10.7.0.0/16.</summary>
    public string Cidr => Range.ToString();

    /// <summary>The first address of the range: Docker gives it to the bridge (the host's side), Hetzner to its router.</summary>
    public IPAddress Gateway => Offset(1);

    /// <summary>The address <paramref name="n"/> after the network address (for examples and probe targets in the model).</summary>
    public IPAddress Offset(uint n)
    {
        var bytes = Range.BaseAddress.GetAddressBytes();
        var value = ((uint)bytes[0] << 24 | (uint)bytes[1] << 16 | (uint)bytes[2] << 8 | bytes[3]) + n;
        return new IPAddress([(byte)(value >> 24), (byte)(value >> 16), (byte)(value >> 8), (byte)value]);
    }

    public bool Overlaps(IPNetwork other) => Range.Contains(other.BaseAddress) || other.Contains(Range.BaseAddress);
}

/// <summary>A tenant asked for a network and the pool has none left: refused before anything is created (exit 2).</summary>
public sealed class NetworkPoolExhaustedException(TenantId tenant, NetworkPool pool) : InvalidOperationException(
    $"tenant {tenant} cannot be given a private network: every network of the pool {pool} is allocated; "
    + "configure a larger pool (RUNBOOKHOST_Network__Pool, e.g. 10.{a}.{b}.0/24 for 65,536 tenants) or deprovision tenants first")
{
    public TenantId Tenant { get; } = tenant;
}
