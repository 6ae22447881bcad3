using System.Net;

namespace RunbookHost.Network.Hetzner;

/// <summary>
/// The tenant firewall of the network summary, and what it must allow and deny. Inbound: HTTPS from the gateway, SSH
/// from the bastion, internal traffic (the tenant's own range). Outbound: HTTPS to the LLM API (OpenRouter), internal
/// traffic, DNS to the resolvers. Always with an explicit outbound set, so Hetzner's implicit outbound deny applies
/// (Pitfall 4: with no outbound rule, every outbound flow is accepted). Everything else is denied.
/// </summary>
public static class HetznerFirewallRules
{
    private const string AllPorts = "1-65535";

    public static IReadOnlyList<HFirewallRule> For(HetznerSettings settings, TenantNetwork network)
    {
        string[] own = [network.Cidr];
        return
        [
            new("in", "tcp", "443", SourceIps: settings.GatewayCidrs, Description: "HTTPS from the gateway"),
            new("in", "tcp", "22", SourceIps: settings.BastionCidrs, Description: "SSH from the bastion"),
            new("in", "tcp", AllPorts, SourceIps: own, Description: "internal traffic (tcp)"),
            new("in", "udp", AllPorts, SourceIps: own, Description: "internal traffic (udp)"),
            new("in", "icmp", SourceIps: own, Description: "internal traffic (icmp)"),
            new("out", "tcp", "443", DestinationIps: settings.LlmApiCidrs, Description: "the LLM API (OpenRouter)"),
            new("out", "tcp", AllPorts, DestinationIps: own, Description: "internal traffic (tcp)"),
            new("out", "udp", AllPorts, DestinationIps: own, Description: "internal traffic (udp)"),
            new("out", "icmp", DestinationIps: own, Description: "internal traffic (icmp)"),
            new("out", "udp", "53", DestinationIps: settings.DnsResolverCidrs, Description: "DNS (udp)"),
            new("out", "tcp", "53", DestinationIps: settings.DnsResolverCidrs, Description: "DNS (tcp)"),
        ];
    }

    /// <summary>One expected verdict of the model: a name for the check, the flow, and ALLOW (true) or DENY (false).</summary>
    public sealed record Expectation(string Test, HetznerFirewallModel.Flow Flow, bool Allow);

    /// <summary>
    /// Every ALLOW of the summary and the DENY next to it, for this tenant. "Elsewhere" is a documentation address
    /// (RFC 5737) outside every configured range: an input of the model, never a destination of any packet.
    /// </summary>
    public static IReadOnlyList<Expectation> Expectations(HetznerSettings settings, TenantNetwork network, IReadOnlyList<TenantNetwork> others)
    {
        var configured = settings.GatewayCidrs.Concat(settings.BastionCidrs).Concat(settings.LlmApiCidrs).Concat(settings.DnsResolverCidrs)
            .Select(IPNetwork.Parse).Append(network.Range).ToList();
        var elsewhere = new[] { "203.0.113.77", "198.51.100.77", "192.0.2.77", "100.64.0.77" }.Select(IPAddress.Parse)
            .FirstOrDefault(a => !configured.Any(c => c.Contains(a))) ?? IPAddress.Parse("203.0.113.77"); // a range that covers all of them fails the DENY checks, as it should
        var inside = network.Offset(10);
        List<Expectation> list =
        [
            .. settings.GatewayCidrs.Select(c => new Expectation($"in_https_from_gateway_{c}", Flow("in", "tcp", 443, First(c)), true)),
            new("in_https_from_elsewhere", Flow("in", "tcp", 443, elsewhere), false),
            .. settings.BastionCidrs.Select(c => new Expectation($"in_ssh_from_bastion_{c}", Flow("in", "tcp", 22, First(c)), true)),
            new("in_ssh_from_elsewhere", Flow("in", "tcp", 22, elsewhere), false),
            new("in_internal_tcp", Flow("in", "tcp", 8080, inside), true),
            new("in_internal_udp", Flow("in", "udp", 5353, inside), true),
            new("in_other_port_from_elsewhere", Flow("in", "tcp", 5432, elsewhere), false),
            .. settings.LlmApiCidrs.Select(c => new Expectation($"out_https_to_llm_api_{c}", Flow("out", "tcp", 443, First(c)), true)),
            new("out_https_to_elsewhere", Flow("out", "tcp", 443, elsewhere), false),
            .. settings.DnsResolverCidrs.SelectMany(c => new[]
            {
                new Expectation($"out_dns_udp_to_{c}", Flow("out", "udp", 53, First(c)), true),
                new Expectation($"out_dns_tcp_to_{c}", Flow("out", "tcp", 53, First(c)), true),
            }),
            new("out_dns_to_elsewhere", Flow("out", "udp", 53, elsewhere), false),
            new("out_internal_tcp", Flow("out", "tcp", 8080, inside), true),
            new("out_smtp_to_elsewhere", Flow("out", "tcp", 25, elsewhere), false),
        ];
        foreach (var other in others)
        {
            list.Add(new($"in_from_tenant_{other.Tenant}", Flow("in", "tcp", 8080, other.Offset(10)), false));
            list.Add(new($"out_to_tenant_{other.Tenant}", Flow("out", "tcp", 8080, other.Offset(10)), false));
        }
        return list;
    }

    private static HetznerFirewallModel.Flow Flow(string direction, string protocol, int? port, IPAddress remote) => new(direction, protocol, port, remote);

    private static IPAddress First(string cidr) => IPNetwork.Parse(cidr).BaseAddress;
}
