using RunbookHost.Evidence;

namespace RunbookHost.Network.Hetzner;

/// <summary>
/// The fleet-wide network proof from the API, one read of each resource type: every registry tenant has exactly its
/// network; ranges pairwise disjoint; no server on another tenant's network; and for every ordered pair (A, B) the
/// firewalls on A's server deny inbound from B's range and outbound to it, by the firewall model.
/// </summary>
internal sealed class HetznerFleetCheck(HetznerResources resources, HetznerClient client)
{
    private const string P = NetworkProviders.Hetzner;

    public async Task<IReadOnlyList<CheckRecord>> RunAsync(IReadOnlyList<TenantNetwork> networks, CancellationToken ct)
    {
        var apiNetworks = await resources.NetworksAsync(HetznerVerifier.ManagedSelector, ct).ConfigureAwait(false);
        var servers = await resources.ServersAsync(HetznerVerifier.ManagedSelector, ct).ConfigureAwait(false);
        var firewalls = (await resources.FirewallsAsync(HetznerVerifier.ManagedSelector, ct).ConfigureAwait(false)).ToDictionary(f => f.Id);
        var wrong = new List<string>();
        var networkOf = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var n in networks)
        {
            var found = apiNetworks.Where(a => a.Labels.GetValueOrDefault("tenant") == n.Tenant.Value).ToList();
            if (found is [var one] && one.IpRange == n.Cidr)
                networkOf[n.Tenant.Value] = one.Id;
            else
                wrong.Add($"{n.Tenant}: {found.Count} network(s) {string.Join(",", found.Select(f => f.IpRange))} (registry {n.Cidr})");
        }
        var overlapping = networks.SelectMany((a, i) => networks.Skip(i + 1).Where(b => a.Overlaps(b.Range)).Select(b => $"{a.Tenant}/{b.Tenant}")).ToList();
        var crossAttached = new List<string>();
        var open = new List<string>();
        foreach (var n in networks)
        {
            var server = servers.FirstOrDefault(s => s.Labels.GetValueOrDefault("tenant") == n.Tenant.Value);
            if (server is null)
                continue;
            if (server.PrivateNet.Any(p => p.Network != networkOf.GetValueOrDefault(n.Tenant.Value)))
                crossAttached.Add(server.Name);
            var rules = new List<HFirewallRule>();
            foreach (var applied in server.PublicNet.Firewalls)
                rules.AddRange(firewalls.TryGetValue(applied.Id, out var f) ? f.Rules : (await client.GetAsync<HFirewallResponse>($"firewalls/{applied.Id}", ct).ConfigureAwait(false)).Firewall.Rules);
            foreach (var other in networks.Where(o => o.Tenant != n.Tenant))
            {
                var remote = other.Offset(10);
                if (HetznerFirewallModel.Allows(rules, new("in", "tcp", 8080, remote)) || HetznerFirewallModel.Allows(rules, new("out", "tcp", 8080, remote)))
                    open.Add($"{n.Tenant}<->{other.Tenant}");
            }
        }
        var pairs = (long)networks.Count * (networks.Count - 1);
        return
        [
            NetworkChecks.Fact(P, "fleet_networks_on_their_range", wrong.Count == 0, wrong.Count == 0 ? $"{networks.Count} tenant networks on their registry range" : string.Join("; ", wrong.Take(20))),
            NetworkChecks.Fact(P, "fleet_ranges_disjoint", overlapping.Count == 0, overlapping.Count == 0 ? $"{pairs} ordered pairs, no two ranges overlap" : "overlapping: " + string.Join(", ", overlapping.Take(20))),
            NetworkChecks.Fact(P, "fleet_servers_on_own_network_only", crossAttached.Count == 0, crossAttached.Count == 0 ? $"{servers.Count} servers, each on its tenant's network only" : "on another network: " + string.Join(", ", crossAttached.Take(20))),
            NetworkChecks.Fact(P, "fleet_firewalls_deny_every_pair", open.Count == 0, open.Count == 0 ? $"{pairs} ordered pairs denied in and out by the firewall model" : "allowed: " + string.Join(", ", open.Take(20))),
        ];
    }
}
