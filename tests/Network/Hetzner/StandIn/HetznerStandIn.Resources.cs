using System.Net;
using System.Text.Json.Nodes;

namespace RunbookHost.Tests.Network.Hetzner.StandIn;

public sealed partial class HetznerStandIn
{
    private (HttpStatusCode, JsonObject) Create(string kind, JsonObject body)
    {
        if (body["name"]?.GetValue<string>() is not { Length: > 0 and <= 63 } name)
            return Invalid("name", "is required (1-63 characters)");
        if (!StandInState.ValidLabels(body["labels"]))
            return Invalid("labels", "invalid label key or value");
        var store = kind switch { "network" => state.Networks, "firewall" => state.Firewalls, "volume" => state.Volumes, _ => state.Servers };
        if (store.Values.Any(r => r["name"]!.GetValue<string>() == name))
            return Error(HttpStatusCode.Conflict, "uniqueness_error", $"{kind} name is already used");
        var labels = body["labels"]?.DeepClone() ?? new JsonObject();
        return kind switch
        {
            "network" => CreateNetwork(name, labels, body),
            "firewall" => CreateFirewall(name, labels, body),
            "volume" => CreateVolume(name, labels, body),
            _ => CreateServer(name, labels, body),
        };
    }

    private (HttpStatusCode, JsonObject) CreateNetwork(string name, JsonNode labels, JsonObject body)
    {
        if (!IPNetwork.TryParse(body["ip_range"]?.GetValue<string>() ?? "", out var range) || !StandInState.IsPrivate(range) || range.PrefixLength > 24)
            return Invalid("ip_range", "must be a private (RFC 1918) IPv4 range of /24 or larger");
        var subnets = new JsonArray();
        foreach (var s in body["subnets"]?.AsArray() ?? [])
        {
            if (s?["type"]?.GetValue<string>() is not ("cloud" or "server" or "vswitch") || s["network_zone"]?.GetValue<string>() is not { Length: > 0 }
                || !IPNetwork.TryParse(s["ip_range"]?.GetValue<string>() ?? "", out var sub) || !range.Contains(sub.BaseAddress) || sub.PrefixLength < range.PrefixLength)
                return Invalid("subnets", "each subnet needs a type, a network_zone and an ip_range inside the network's ip_range");
            subnets.Add(new JsonObject { ["type"] = s["type"]!.GetValue<string>(), ["ip_range"] = sub.ToString(), ["network_zone"] = s["network_zone"]!.GetValue<string>(), ["gateway"] = Offset(range, 1) });
        }
        var id = ++state.NextId;
        state.Networks[id] = new JsonObject { ["id"] = id, ["name"] = name, ["ip_range"] = range.ToString(), ["subnets"] = subnets, ["routes"] = new JsonArray(), ["servers"] = new JsonArray(), ["labels"] = labels };
        return Created(new JsonObject { ["network"] = state.Networks[id].DeepClone() });
    }

    private (HttpStatusCode, JsonObject) CreateFirewall(string name, JsonNode labels, JsonObject body)
    {
        var rules = body["rules"]?.AsArray() ?? [];
        if (rules.Count > 50)
            return Invalid("rules", "at most 50 rules");
        foreach (var rule in rules)
        {
            if (StandInRules.Rule(rule) is { } problem)
                return Invalid("rules", problem);
        }
        var id = ++state.NextId;
        state.Firewalls[id] = new JsonObject { ["id"] = id, ["name"] = name, ["labels"] = labels, ["rules"] = rules.DeepClone(), ["applied_to"] = new JsonArray() };
        return Created(new JsonObject { ["firewall"] = state.Firewalls[id].DeepClone(), ["actions"] = new JsonArray() });
    }

    private (HttpStatusCode, JsonObject) CreateVolume(string name, JsonNode labels, JsonObject body)
    {
        var size = body["size"]?.GetValue<int>() ?? 0;
        if (size is < 10 or > 10240)
            return Invalid("size", "must be 10-10240 (GB)");
        if (body["location"]?.GetValue<string>() is not { Length: > 0 } location)
            return Invalid("location", "location or server is required");
        if (body["format"]?.GetValue<string>() is { } format && format is not ("ext4" or "xfs"))
            return Invalid("format", "must be ext4 or xfs");
        if (body["automount"]?.GetValue<bool>() == true)
            return Invalid("automount", "automount needs a server");
        var id = ++state.NextId;
        state.Volumes[id] = new JsonObject
        {
            ["id"] = id, ["name"] = name, ["size"] = size, ["server"] = null, ["status"] = "creating", ["location"] = new JsonObject { ["name"] = location },
            ["format"] = body["format"]?.GetValue<string>(), ["linux_device"] = $"/dev/disk/by-id/scsi-0HC_Volume_{id}", ["labels"] = labels,
        };
        var volume = state.Volumes[id];
        var action = NewAction("create_volume", () => volume["status"] = "available");
        return Created(new JsonObject { ["volume"] = volume.DeepClone(), ["action"] = action, ["next_actions"] = new JsonArray() });
    }

    private (HttpStatusCode, JsonObject) Delete(string kind, long id, JsonObject resource)
    {
        switch (kind)
        {
            case "firewall" when resource["applied_to"]!.AsArray().Count > 0:
                return Error(HttpStatusCode.UnprocessableEntity, "resource_in_use", "firewall is still applied to resources");
            case "volume" when resource["server"] is not null:
                return Error(HttpStatusCode.Locked, "locked", "volume is attached to a server");
            case "network":
                foreach (var server in state.Servers.Values)
                    server["private_net"] = new JsonArray(server["private_net"]!.AsArray().Where(n => n!["network"]!.GetValue<long>() != id).Select(n => n!.DeepClone()).ToArray());
                state.Networks.Remove(id);
                return (HttpStatusCode.NoContent, []);
            case "server":
                return DeleteServer(id, resource);
        }
        (kind == "firewall" ? state.Firewalls : state.Volumes).Remove(id);
        return (HttpStatusCode.NoContent, []);
    }

    private static string Offset(IPNetwork range, uint n)
    {
        var b = range.BaseAddress.GetAddressBytes();
        var v = ((uint)b[0] << 24 | (uint)b[1] << 16 | (uint)b[2] << 8 | b[3]) + n;
        return new IPAddress([(byte)(v >> 24), (byte)(v >> 16), (byte)(v >> 8), (byte)v]).ToString();
    }
}
