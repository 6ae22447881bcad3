using System.Text.Json.Nodes;

namespace RunbookHost.Tests.Stores.Minio.StandIn;

/// <summary>
/// The stand-in's own IAM policy evaluation (deliberately not the library's evaluator, so a bug in one is not
/// hidden by the other): explicit Deny wins, then Allow, otherwise denied. Action and Resource/NotResource
/// patterns use '*' and '?' wildcards. Conditions are not evaluated: a statement with a Condition never
/// allows and always denies.
/// </summary>
internal static class StandInPolicy
{
    public static bool Allows(IEnumerable<string> policyDocuments, string action, string resource)
    {
        var allowed = false;
        foreach (var doc in policyDocuments)
        {
            if (JsonNode.Parse(doc) is not JsonObject root)
                continue;
            var statements = root["Statement"] is JsonArray a ? a.OfType<JsonObject>() : root["Statement"] is JsonObject o ? [o] : [];
            foreach (var s in statements)
            {
                var deny = (string?)s["Effect"] == "Deny";
                var conditional = s["Condition"] is not null;
                if (!ActionMatches(s, action) || !ResourceMatches(s, resource))
                    continue;
                if (deny)
                    return false;
                if (!conditional)
                    allowed = true;
            }
        }
        return allowed;
    }

    private static bool ActionMatches(JsonObject s, string action)
    {
        if (s["Action"] is { } actions)
            return List(actions).Any(p => Match(p, action));
        if (s["NotAction"] is { } notActions)
            return !List(notActions).Any(p => Match(p, action));
        return false;
    }

    private static bool ResourceMatches(JsonObject s, string resource)
    {
        if (s["Resource"] is { } resources)
            return List(resources).Any(p => MatchResource(p, resource));
        if (s["NotResource"] is { } notResources)
            return !List(notResources).Any(p => MatchResource(p, resource));
        return false;
    }

    private static IEnumerable<string> List(JsonNode node) =>
        node is JsonArray a ? a.Select(n => (string?)n ?? "") : [(string?)node ?? ""];

    /// <summary>Like minio/pkg Resource.Match: the cleaned path equals the pattern, or the wildcard matches.</summary>
    private static bool MatchResource(string pattern, string resource) =>
        (resource.EndsWith('/') && resource.TrimEnd('/') == pattern) || Match(pattern, resource);

    /// <summary>Recursive wildcard match ('*' any run, '?' one character).</summary>
    private static bool Match(string pattern, string text)
    {
        if (pattern.Length == 0)
            return text.Length == 0;
        if (pattern[0] == '*')
            return Match(pattern[1..], text) || (text.Length > 0 && Match(pattern, text[1..]));
        return text.Length > 0 && (pattern[0] == '?' || pattern[0] == text[0]) && Match(pattern[1..], text[1..]);
    }
}
