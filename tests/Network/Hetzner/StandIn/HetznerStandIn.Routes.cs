using System.Net;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace RunbookHost.Tests.Network.Hetzner.StandIn;

public sealed partial class HetznerStandIn
{
    private (HttpStatusCode, JsonObject) Route(string method, string path, IQueryCollection query, JsonNode? body)
    {
        var parts = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length < 2 || parts[0] != "v1")
            return Error(HttpStatusCode.NotFound, "not_found", "no such endpoint");
        var (kind, store) = parts[1] switch
        {
            "networks" => ("network", state.Networks),
            "firewalls" => ("firewall", state.Firewalls),
            "volumes" => ("volume", state.Volumes),
            "servers" => ("server", state.Servers),
            "actions" => ("action", null),
            _ => ("", null),
        };
        if (kind == "action" && parts.Length == 3 && method == "GET" && long.TryParse(parts[2], out var actionId))
            return state.Actions.TryGetValue(actionId, out var action) ? Ok(new JsonObject { ["action"] = Poll(action) }) : NotFound("action");
        if (store is null)
            return Error(HttpStatusCode.NotFound, "not_found", "no such endpoint");
        if (parts.Length == 2 && method == "GET")
            return List(parts[1], store, query);
        if (parts.Length == 2 && method == "POST")
            return body is JsonObject o ? Create(kind, o) : Error(HttpStatusCode.BadRequest, "invalid_input", "a JSON object is required");
        if (!long.TryParse(parts[2], out var id) || !store.TryGetValue(id, out var resource))
            return NotFound(kind);
        if (parts.Length == 3 && method == "GET")
            return Ok(new JsonObject { [kind] = resource.DeepClone() });
        if (parts.Length == 3 && method == "DELETE")
            return Delete(kind, id, resource);
        if (parts.Length == 5 && parts[3] == "actions" && method == "POST")
            return ResourceAction(kind, resource, parts[4], body as JsonObject ?? []);
        return Error(HttpStatusCode.NotFound, "not_found", "no such endpoint");
    }

    private (HttpStatusCode, JsonObject) List(string plural, Dictionary<long, JsonObject> store, IQueryCollection query)
    {
        var selector = query["label_selector"].ToString();
        if (selector.Length > 0 && !StandInState.ValidSelector(selector))
            return Error(HttpStatusCode.BadRequest, "invalid_input", "invalid label_selector");
        var name = query["name"].ToString();
        var page = int.TryParse(query["page"], out var p) && p > 0 ? p : 1;
        var perPage = Math.Min(MaxPerPage, int.TryParse(query["per_page"], out var pp) && pp > 0 ? pp : 25);
        var items = store.Values.Where(r => StandInState.Matches(r, selector) && (name.Length == 0 || r["name"]!.GetValue<string>() == name)).OrderBy(r => r["id"]!.GetValue<long>()).ToList();
        var last = Math.Max(1, (items.Count + perPage - 1) / perPage);
        return Ok(new JsonObject
        {
            [plural] = new JsonArray(items.Skip((page - 1) * perPage).Take(perPage).Select(i => (JsonNode)i.DeepClone()).ToArray()),
            ["meta"] = new JsonObject
            {
                ["pagination"] = new JsonObject
                {
                    ["page"] = page, ["per_page"] = perPage, ["previous_page"] = page > 1 ? page - 1 : null,
                    ["next_page"] = page < last ? page + 1 : null, ["last_page"] = last, ["total_entries"] = items.Count,
                },
            },
        });
    }

    private JsonObject NewAction(string command, Action? onSuccess = null)
    {
        var id = ++state.NextId;
        (string, string)? failure = actionFailures.Remove(command, out var f) ? f : null;
        var action = new StandInState.ActionState(id, command, ActionPolls, failure) { OnSuccess = onSuccess };
        state.Actions[id] = action;
        if (action.PollsLeft == 0 && action.Failure is null)
            onSuccess?.Invoke();
        return action.Json();
    }

    private static JsonObject Poll(StandInState.ActionState action)
    {
        if (action.PollsLeft > 0 && --action.PollsLeft == 0 && action.Failure is null)
            action.OnSuccess?.Invoke();
        return action.Json();
    }

    private static (HttpStatusCode, JsonObject) Ok(JsonObject body, HttpStatusCode status = HttpStatusCode.OK) => (status, body);

    private static (HttpStatusCode, JsonObject) Created(JsonObject body) => (HttpStatusCode.Created, body);

    private static (HttpStatusCode, JsonObject) NotFound(string kind) => Error(HttpStatusCode.NotFound, "not_found", $"{kind} not found");

    private static (HttpStatusCode, JsonObject) Invalid(string field, string message) =>
        (HttpStatusCode.BadRequest, new JsonObject
        {
            ["error"] = new JsonObject
            {
                ["code"] = "invalid_input", ["message"] = $"invalid input in field '{field}'",
                ["details"] = new JsonObject { ["fields"] = new JsonArray(new JsonObject { ["name"] = field, ["messages"] = new JsonArray(message) }) },
            },
        });
}
