using System.Net;
using System.Text;
using System.Text.Json.Nodes;

namespace RunbookHost.Tests.Network.Hetzner.StandIn;

public sealed partial class HetznerStandIn
{
    private (HttpStatusCode, JsonObject) CreateServer(string name, JsonNode labels, JsonObject body)
    {
        foreach (var field in new[] { "server_type", "image", "location" })
        {
            if (body[field]?.GetValue<string>() is not { Length: > 0 })
                return Invalid(field, "is required");
        }
        if (Encoding.UTF8.GetByteCount(body["user_data"]?.GetValue<string>() ?? "") > 32 * 1024)
            return Invalid("user_data", "must be at most 32 KiB");
        var networks = body["networks"]?.AsArray().Select(n => n!.GetValue<long>()).ToList() ?? [];
        var firewalls = body["firewalls"]?.AsArray().Select(f => f!["firewall"]!.GetValue<long>()).ToList() ?? [];
        var volumes = body["volumes"]?.AsArray().Select(v => v!.GetValue<long>()).ToList() ?? [];
        if (networks.FirstOrDefault(n => !state.Networks.ContainsKey(n)) is var badNet and not 0)
            return Invalid("networks", $"network {badNet} not found");
        if (firewalls.FirstOrDefault(f => !state.Firewalls.ContainsKey(f)) is var badFw and not 0)
            return Invalid("firewalls", $"firewall {badFw} not found");
        if (volumes.FirstOrDefault(v => !state.Volumes.ContainsKey(v)) is var badVol and not 0)
            return Invalid("volumes", $"volume {badVol} not found");
        if (volumes.Any(v => state.Volumes[v]["server"] is not null))
            return Error(HttpStatusCode.Conflict, "volume_already_attached", "volume is already attached to a server");
        if (volumes.Any(v => state.Volumes[v]["location"]!["name"]!.GetValue<string>() != body["location"]!.GetValue<string>()))
            return Invalid("volumes", "volume and server must be in the same location");
        var id = ++state.NextId;
        var server = new JsonObject
        {
            ["id"] = id, ["name"] = name, ["status"] = "initializing", ["labels"] = labels,
            ["server_type"] = new JsonObject { ["name"] = body["server_type"]!.GetValue<string>() }, ["location"] = new JsonObject { ["name"] = body["location"]!.GetValue<string>() },
            ["public_net"] = new JsonObject
            {
                ["ipv4"] = new JsonObject { ["ip"] = $"198.51.100.{id % 250 + 1}" },
                ["firewalls"] = new JsonArray(firewalls.Select(f => (JsonNode)new JsonObject { ["id"] = f, ["status"] = "applied" }).ToArray()),
            },
            ["private_net"] = new JsonArray(networks.Select(n => (JsonNode)new JsonObject { ["network"] = n, ["ip"] = NextIp(n, id) }).ToArray()),
            ["volumes"] = new JsonArray(volumes.Select(v => (JsonNode)v).ToArray()),
            ["user_data"] = body["user_data"]?.GetValue<string>(),
        };
        state.Servers[id] = server;
        foreach (var n in networks)
            state.Networks[n]["servers"]!.AsArray().Add(id);
        foreach (var f in firewalls)
            state.Firewalls[f]["applied_to"]!.AsArray().Add(StandInStateView.Applied(server));
        foreach (var v in volumes)
            state.Volumes[v]["server"] = id;
        var start = body["start_after_create"]?.GetValue<bool>() != false;
        var action = NewAction("create_server", () => server["status"] = start ? "running" : "off");
        return Created(new JsonObject { ["server"] = server.DeepClone(), ["action"] = action, ["next_actions"] = new JsonArray(), ["root_password"] = "not-a-real-password" });
    }

    private (HttpStatusCode, JsonObject) DeleteServer(long id, JsonObject server)
    {
        state.Servers.Remove(id);
        foreach (var network in state.Networks.Values)
            network["servers"] = new JsonArray(network["servers"]!.AsArray().Where(s => s!.GetValue<long>() != id).Select(s => s!.DeepClone()).ToArray());
        foreach (var firewall in state.Firewalls.Values)
            firewall["applied_to"] = new JsonArray(firewall["applied_to"]!.AsArray().Where(a => a!["server"]?["id"]?.GetValue<long>() != id).Select(a => a!.DeepClone()).ToArray());
        foreach (var volume in state.Volumes.Values.Where(v => v["server"]?.GetValue<long>() == id))
            volume["server"] = null;
        return Ok(new JsonObject { ["action"] = NewAction("delete_server") });
    }

    private (HttpStatusCode, JsonObject) ResourceAction(string kind, JsonObject resource, string action, JsonObject body)
    {
        switch (kind, action)
        {
            case ("server", "shutdown"):
                return Ok(new JsonObject { ["action"] = NewAction("shutdown_server", () => { if (!IgnoreAcpi) resource["status"] = "off"; }) }, HttpStatusCode.Created);
            case ("server", "poweroff"):
                return Ok(new JsonObject { ["action"] = NewAction("stop_server", () => resource["status"] = "off") }, HttpStatusCode.Created);
            case ("server", "poweron"):
                return Ok(new JsonObject { ["action"] = NewAction("start_server", () => resource["status"] = "running") }, HttpStatusCode.Created);
            case ("volume", "detach"):
                if (resource["server"]?.GetValue<long>() is not long serverId)
                    return Error(HttpStatusCode.Conflict, "volume_not_attached", "volume is not attached");
                resource["server"] = null;
                if (state.Servers.TryGetValue(serverId, out var owner))
                    owner["volumes"] = new JsonArray(owner["volumes"]!.AsArray().Where(v => v!.GetValue<long>() != resource["id"]!.GetValue<long>()).Select(v => v!.DeepClone()).ToArray());
                return Ok(new JsonObject { ["action"] = NewAction("detach_volume") }, HttpStatusCode.Created);
            case ("firewall", "set_rules"):
                foreach (var rule in body["rules"]?.AsArray() ?? [])
                {
                    if (StandInRules.Rule(rule) is { } problem)
                        return Invalid("rules", problem);
                }
                resource["rules"] = body["rules"]?.DeepClone() ?? new JsonArray();
                return Ok(new JsonObject { ["actions"] = new JsonArray(NewAction("set_firewall_rules")) }, HttpStatusCode.Created);
            case ("firewall", "remove_from_resources"):
                var fwId = resource["id"]!.GetValue<long>();
                foreach (var server in state.Servers.Values)
                    server["public_net"]!["firewalls"] = new JsonArray(server["public_net"]!["firewalls"]!.AsArray().Where(f => f!["id"]!.GetValue<long>() != fwId).Select(f => f!.DeepClone()).ToArray());
                resource["applied_to"] = new JsonArray();
                return Ok(new JsonObject { ["actions"] = new JsonArray(NewAction("remove_firewall")) }, HttpStatusCode.Created);
            default:
                return Error(HttpStatusCode.NotFound, "not_found", "no such action");
        }
    }

    private string NextIp(long network, long server)
    {
        var range = IPNetwork.Parse(state.Networks[network]["ip_range"]!.GetValue<string>());
        return Offset(range, (uint)(2 + state.Networks[network]["servers"]!.AsArray().Count + server % 7));
    }
}
