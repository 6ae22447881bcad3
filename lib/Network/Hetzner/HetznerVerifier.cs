using System.Net;
using RunbookHost.Evidence;
using RunbookHost.Tenants;

namespace RunbookHost.Network.Hetzner;

/// <summary>
/// Verifies a tenant from what the API says now: its network (range = the registry's), its server (attached to that
/// network only, its volume attached, its firewall applied), and every firewall applied to the server read back and
/// evaluated with <see cref="HetznerFirewallModel"/>: each expected ALLOW and DENY of the summary is one check, and
/// Pitfall 4 (no outbound rule) is its own check. Other tenants are the API's other runbook-host networks.
/// </summary>
public sealed class HetznerVerifier(HetznerClient client, HetznerResources resources, HetznerSettings settings, int crossTenantProbes)
{
    private const string P = NetworkProviders.Hetzner;
    public const string ManagedSelector = "managed-by=runbook-host";

    public async Task<IReadOnlyList<CheckRecord>> VerifyAsync(TenantNetwork expected, CancellationToken ct)
    {
        var tenant = expected.Tenant;
        var selector = HetznerResources.Selector(tenant);
        var checks = new List<CheckRecord>();
        var networks = await resources.NetworksAsync(selector, ct).ConfigureAwait(false);
        var network = networks.Count == 1 ? networks[0] : null;
        checks.Add(NetworkChecks.Fact(P, "network_range", network is not null && network.IpRange == expected.Cidr && network.Subnets.Any(s => s.IpRange == expected.Cidr),
            network is null ? $"{networks.Count} networks labelled {selector} (expected 1)" : $"{network.Name} ({network.Id}): ip_range {network.IpRange}, subnets [{string.Join(", ", network.Subnets.Select(s => s.IpRange))}], registry {expected.Cidr}"));
        var servers = await resources.ServersAsync(selector, ct).ConfigureAwait(false);
        if (servers.Count != 1)
        {
            checks.Add(NetworkChecks.Fact(P, "server", false, $"{servers.Count} servers labelled {selector} (expected 1)"));
            return checks;
        }
        var server = servers[0];
        var attached = server.PrivateNet.Select(p => p.Network).ToList();
        checks.Add(NetworkChecks.Fact(P, "server_on_tenant_network_only", network is not null && attached is [var only] && only == network.Id,
            $"{server.Name} ({server.Id}): private networks [{string.Join(", ", attached)}], the tenant's {network?.Id.ToString() ?? "missing"}"));
        var volumes = await resources.VolumesAsync(selector, ct).ConfigureAwait(false);
        checks.Add(NetworkChecks.Fact(P, "volume_attached", volumes.Count == 1 && volumes[0].Server == server.Id && server.Volumes.Contains(volumes[0].Id),
            volumes.Count == 1 ? $"volume {volumes[0].Name} ({volumes[0].Id}) on server {volumes[0].Server?.ToString() ?? "none"}, mounted at /mnt/tenant-{tenant}" : $"{volumes.Count} volumes labelled {selector}"));

        var own = await resources.FirewallsAsync(selector, ct).ConfigureAwait(false);
        var applied = server.PublicNet.Firewalls;
        checks.Add(NetworkChecks.Fact(P, "tenant_firewall_applied", own.Count == 1 && applied.Any(f => f.Id == own[0].Id && f.Status == "applied"),
            $"server firewalls [{string.Join(", ", applied.Select(f => $"{f.Id}:{f.Status}"))}], the tenant's {(own.Count == 1 ? own[0].Id.ToString() : $"{own.Count} labelled")}"));
        // Every firewall applied to the server counts (a foreign allow-all one would open it), so all are read back.
        var rules = new List<HFirewallRule>();
        foreach (var f in applied)
            rules.AddRange((await client.GetAsync<HFirewallResponse>($"firewalls/{f.Id}", ct).ConfigureAwait(false)).Firewall.Rules);
        checks.Add(NetworkChecks.Fact(P, "explicit_outbound_rules", HetznerFirewallModel.HasExplicitOutbound(rules),
            HetznerFirewallModel.HasExplicitOutbound(rules) ? $"{rules.Count(r => r.Direction == "out")} outbound rules: everything else outbound is denied"
                : "no outbound rule: Hetzner then accepts ALL outbound traffic (Pitfall 4)"));
        var others = await OtherTenantsAsync(tenant, ct).ConfigureAwait(false);
        foreach (var e in HetznerFirewallRules.Expectations(settings, expected, others))
        {
            var allowed = HetznerFirewallModel.Allows(rules, e.Flow);
            checks.Add(NetworkChecks.Reach(P, e.Test, e.Allow, allowed, $"{e.Flow}: the {applied.Count} firewall(s) on {server.Name} {(allowed ? "allow" : "deny")} it"));
        }
        if (others.Count == 0)
            checks.Add(CheckRecord.Skipped(NetworkChecks.Store, "cross_tenant", "no other tenant's network exists in the project"));
        return checks;
    }

    /// <summary>Up to N other runbook-host tenant networks of the project, at random.</summary>
    private async Task<IReadOnlyList<TenantNetwork>> OtherTenantsAsync(TenantId tenant, CancellationToken ct) =>
        (await resources.NetworksAsync(ManagedSelector, ct).ConfigureAwait(false))
            .Select(ToTenantNetwork).OfType<TenantNetwork>()
            .Where(n => n.Tenant != tenant)
            .OrderBy(_ => Random.Shared.Next()).Take(crossTenantProbes).ToList();

    internal static TenantNetwork? ToTenantNetwork(HNetwork network) =>
        network.Labels.TryGetValue("tenant", out var id) && TenantId.TryParse(id, out var tenant, out _) && IPNetwork.TryParse(network.IpRange, out var range)
            ? new TenantNetwork(tenant, "hetzner", 0, range) : null;
}
