using System.Globalization;
using System.Net;

namespace RunbookHost.Network.Hetzner;

/// <summary>
/// Hetzner Cloud firewall semantics, small enough to read: the rules of every firewall applied to a server are combined;
/// inbound traffic is denied unless a rule allows it; outbound traffic is allowed when NO outbound rule exists (the
/// summary's Pitfall 4) and otherwise denied unless a rule allows it. A rule matches on protocol, port (tcp/udp: "any",
/// "443" or "1024-5000") and the remote address (source_ips inbound, destination_ips outbound). Hetzner firewalls filter
/// the public interface only; private networks are separated by being different networks (docs/network.md).
/// </summary>
public static class HetznerFirewallModel
{
    public const string In = "in";
    public const string Out = "out";

    /// <summary>One flow as the firewall sees it: direction, protocol, destination port (tcp/udp), the remote address.</summary>
    public sealed record Flow(string Direction, string Protocol, int? Port, IPAddress Remote)
    {
        public override string ToString() =>
            $"{Direction} {Protocol}{(Port is int p ? "/" + p.ToString(CultureInfo.InvariantCulture) : "")} {(Direction == In ? "from" : "to")} {Remote}";
    }

    public static bool Allows(IEnumerable<HFirewallRule> rules, Flow flow)
    {
        var sameDirection = rules.Where(r => r.Direction == flow.Direction).ToList();
        if (flow.Direction == Out && sameDirection.Count == 0)
            return true; // Pitfall 4: no outbound rule means every outbound flow is accepted
        return sameDirection.Any(r => Matches(r, flow));
    }

    /// <summary>True when at least one outbound rule exists, so the implicit outbound deny applies.</summary>
    public static bool HasExplicitOutbound(IEnumerable<HFirewallRule> rules) => rules.Any(r => r.Direction == Out);

    private static bool Matches(HFirewallRule rule, Flow flow)
    {
        if (!string.Equals(rule.Protocol, flow.Protocol, StringComparison.Ordinal))
            return false;
        if (flow.Protocol is "tcp" or "udp" && !PortMatches(rule.Port, flow.Port))
            return false;
        var remotes = flow.Direction == In ? rule.SourceIps : rule.DestinationIps;
        return remotes?.Any(c => IPNetwork.TryParse(c, out var n) && n.Contains(flow.Remote)) == true;
    }

    private static bool PortMatches(string? port, int? wanted)
    {
        if (wanted is not int p || string.IsNullOrEmpty(port))
            return false;
        if (port == "any")
            return true;
        var dash = port.IndexOf('-');
        return dash < 0
            ? int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out var single) && single == p
            : int.TryParse(port[..dash], NumberStyles.None, CultureInfo.InvariantCulture, out var low)
              && int.TryParse(port[(dash + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var high) && p >= low && p <= high;
    }
}
