using System.Net;
using System.Text.Json.Nodes;

namespace RunbookHost.Tests.Network.Hetzner.StandIn;

/// <summary>Request validation as the real API does it: a firewall rule, a port, a list of CIDRs. Null = valid, else the reason.</summary>
internal static class StandInRules
{
    public static string? Rule(JsonNode? node)
    {
        if (node is not JsonObject rule)
            return "rule must be an object";
        var direction = rule["direction"]?.GetValue<string>();
        var protocol = rule["protocol"]?.GetValue<string>();
        if (direction is not ("in" or "out"))
            return "direction must be in or out";
        if (protocol is not ("tcp" or "udp" or "icmp" or "esp" or "gre"))
            return "protocol must be tcp, udp, icmp, esp or gre";
        var port = rule["port"]?.GetValue<string>();
        if (protocol is "tcp" or "udp")
        {
            if (port is null || !Port(port))
                return "port is required for tcp and udp: a port, a range a-b, or any";
        }
        else if (port is not null)
        {
            return "port is only allowed for tcp and udp";
        }
        var (needed, forbidden) = direction == "in" ? ("source_ips", "destination_ips") : ("destination_ips", "source_ips");
        if (rule[needed] is not JsonArray ips || ips.Count == 0 || ips.Any(i => !Cidr(i?.GetValue<string>())))
            return $"{needed} must be a non-empty list of CIDRs for direction {direction}";
        if (rule[forbidden] is JsonArray other && other.Count > 0)
            return $"{forbidden} is not allowed for direction {direction}";
        if (rule["description"]?.GetValue<string>() is { Length: > 255 })
            return "description is longer than 255 characters";
        return null;
    }

    private static bool Port(string port)
    {
        if (port == "any")
            return true;
        var parts = port.Split('-');
        return parts.Length is 1 or 2 && parts.All(p => int.TryParse(p, out var n) && n is >= 1 and <= 65535)
            && (parts.Length == 1 || int.Parse(parts[0]) < int.Parse(parts[1]));
    }

    private static bool Cidr(string? cidr) => cidr is not null && IPNetwork.TryParse(cidr, out var n) && n.ToString() == cidr;
}
