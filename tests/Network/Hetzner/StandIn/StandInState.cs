using System.Net;
using System.Text.Json.Nodes;

namespace RunbookHost.Tests.Network.Hetzner.StandIn;

/// <summary>The stand-in's resources, shaped like the API's JSON (public reference; hcloud-go's schema package).</summary>
internal sealed class StandInState
{
    public long NextId = 1000;
    public readonly Dictionary<long, JsonObject> Networks = [];
    public readonly Dictionary<long, JsonObject> Firewalls = [];
    public readonly Dictionary<long, JsonObject> Volumes = [];
    public readonly Dictionary<long, JsonObject> Servers = [];
    public readonly Dictionary<long, ActionState> Actions = [];

    public sealed class ActionState(long id, string command, int polls, (string Code, string Message)? failure)
    {
        public long Id { get; } = id;
        public string Command { get; } = command;
        public int PollsLeft { get; set; } = polls;
        public (string Code, string Message)? Failure { get; } = failure;
        public Action? OnSuccess { get; set; }
        public string Status => PollsLeft > 0 ? "running" : Failure is null ? "success" : "error";

        public JsonObject Json() => new()
        {
            ["id"] = Id, ["command"] = Command, ["status"] = Status, ["progress"] = Status == "running" ? 50 : 100,
            ["started"] = "2026-12-02T10:00:00+00:00", ["finished"] = Status == "running" ? null : "2026-12-02T10:00:05+00:00",
            ["resources"] = new JsonArray(),
            ["error"] = Status == "error" ? new JsonObject { ["code"] = Failure!.Value.Code, ["message"] = Failure.Value.Message } : null,
        };
    }

    public IEnumerable<(string Kind, JsonObject Resource)> All =>
        Networks.Values.Select(v => ("network", v)).Concat(Firewalls.Values.Select(v => ("firewall", v)))
            .Concat(Volumes.Values.Select(v => ("volume", v))).Concat(Servers.Values.Select(v => ("server", v)));

    public static bool Matches(JsonObject resource, string? selector)
    {
        if (string.IsNullOrEmpty(selector))
            return true;
        var labels = resource["labels"]!.AsObject();
        foreach (var term in selector.Split(','))
        {
            var t = term.Trim();
            bool ok;
            if (t.Contains("!=", StringComparison.Ordinal))
            {
                var (k, v) = Split(t, "!=");
                ok = labels[k]?.GetValue<string>() != v;
            }
            else if (t.Contains("==", StringComparison.Ordinal) || t.Contains('='))
            {
                var (k, v) = Split(t, t.Contains("==", StringComparison.Ordinal) ? "==" : "=");
                ok = labels[k]?.GetValue<string>() == v;
            }
            else if (t.StartsWith('!'))
            {
                ok = !labels.ContainsKey(t[1..]);
            }
            else
            {
                ok = labels.ContainsKey(t);
            }
            if (!ok)
                return false;
        }
        return true;
    }

    public static bool ValidSelector(string selector) =>
        selector.Split(',').All(t => System.Text.RegularExpressions.Regex.IsMatch(t.Trim(), @"^!?[a-z0-9A-Z._/-]+((==|!=|=)[a-z0-9A-Z._-]*)?$"));

    public static bool ValidLabels(JsonNode? labels) => labels is null || labels is JsonObject o && o.All(kv =>
        System.Text.RegularExpressions.Regex.IsMatch(kv.Key, @"^([a-z0-9.-]+/)?[A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?$")
        && kv.Value is JsonValue v && v.TryGetValue<string>(out var s) && System.Text.RegularExpressions.Regex.IsMatch(s, @"^([A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?)?$"));

    public static bool IsPrivate(IPNetwork n) =>
        new[] { "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16" }.Select(IPNetwork.Parse).Any(r => r.Contains(n.BaseAddress) && n.PrefixLength >= r.PrefixLength);

    private static (string, string) Split(string term, string op)
    {
        var at = term.IndexOf(op, StringComparison.Ordinal);
        return (term[..at], term[(at + op.Length)..]);
    }
}
