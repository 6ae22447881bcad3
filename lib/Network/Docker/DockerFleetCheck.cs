using Docker.DotNet.Models;
using RunbookHost.Evidence;

namespace RunbookHost.Network.Docker;

/// <summary>
/// The fleet-wide network proof on the engine, linear in tenants (no probe per pair): every tenant network the registry
/// knows exists, is internal, on its own range, and no container is attached to two tenant networks (which would bridge
/// them); ranges pairwise disjoint; each bridge's host firewall rules present. Together they cover every ordered pair.
/// </summary>
internal sealed class DockerFleetCheck(DockerEngine engine, HostFirewall firewall, bool hostFirewall)
{
    private const string P = NetworkProviders.Docker;

    public async Task<IReadOnlyList<CheckRecord>> RunAsync(IReadOnlyList<TenantNetwork> networks, CancellationToken ct)
    {
        var client = await engine.ClientAsync(ct).ConfigureAwait(false);
        var pairs = (long)networks.Count * (networks.Count - 1);
        var docker = (await client.Networks.ListNetworksAsync(new NetworksListParameters { Filters = DockerEngine.LabelFilter(DockerNames.TenantLabel) }, ct).ConfigureAwait(false))
            .ToDictionary(n => n.Name, StringComparer.Ordinal);
        var wrong = new List<string>();
        foreach (var network in networks)
        {
            var name = DockerNames.Network(network.Tenant);
            if (!docker.TryGetValue(name, out var found))
                wrong.Add($"{name} missing");
            else if (!found.Internal || DockerObjects.SubnetOf(found) != network.Cidr || DockerObjects.Owner(found.Labels) != network.Tenant.Value)
                wrong.Add($"{name}: internal={found.Internal}, subnet {DockerObjects.SubnetOf(found)} (registry {network.Cidr})");
        }
        var overlapping = networks.SelectMany((a, i) => networks.Skip(i + 1).Where(b => a.Overlaps(b.Range)).Select(b => $"{a.Tenant}/{b.Tenant}")).ToList();
        var containers = await client.Containers.ListContainersAsync(new ContainersListParameters { All = true }, ct).ConfigureAwait(false);
        var tenantNetworks = docker.Keys.ToHashSet(StringComparer.Ordinal);
        var bridging = containers
            .Where(c => (c.NetworkSettings?.Networks?.Keys.Count(tenantNetworks.Contains) ?? 0) > 1)
            .Select(c => string.Join(",", c.Names).TrimStart('/')).ToList();
        var checks = new List<CheckRecord>
        {
            NetworkChecks.Fact(P, "fleet_networks_internal_on_their_range", wrong.Count == 0,
                wrong.Count == 0 ? $"{networks.Count} tenant networks internal on their registry range" : string.Join("; ", wrong.Take(20))),
            NetworkChecks.Fact(P, "fleet_ranges_disjoint", overlapping.Count == 0,
                overlapping.Count == 0 ? $"{pairs} ordered pairs, no two ranges overlap" : "overlapping: " + string.Join(", ", overlapping.Take(20))),
            NetworkChecks.Fact(P, "fleet_no_container_on_two_tenant_networks", bridging.Count == 0,
                bridging.Count == 0 ? $"{containers.Count} containers, none attached to two tenant networks" : "bridging: " + string.Join(", ", bridging.Take(20))),
        };
        if (hostFirewall)
        {
            var missing = new List<string>();
            foreach (var network in networks)
            {
                foreach (var (rule, present) in await firewall.CheckAsync(network.Tenant, ct).ConfigureAwait(false))
                {
                    if (!present)
                        missing.Add($"{network.Tenant}: {rule.Purpose}");
                }
            }
            checks.Add(NetworkChecks.Fact(P, "fleet_host_firewall_rules", missing.Count == 0,
                missing.Count == 0 ? $"every tenant bridge's host firewall rules present ({networks.Count} tenants)" : "missing: " + string.Join(", ", missing.Take(20))));
        }
        return checks;
    }
}
