using System.Text.Json;
using System.Text.Json.Nodes;
using RunbookHost.Tenants;

namespace RunbookHost.Stores.Minio;

/// <summary>The MinIO names of one tenant; built only from a <see cref="TenantId"/>.</summary>
public sealed record MinioTenantNames(string Bucket, string User, string Policy)
{
    public static MinioTenantNames For(TenantId tenant)
    {
        ArgumentNullException.ThrowIfNull(tenant);
        return new($"tenant-{tenant.Value}-bucket", $"tenant-{tenant.Value}-access", $"tenant-{tenant.Value}-policy");
    }

    public string BucketArn => "arn:aws:s3:::" + Bucket;
    public string ObjectsArn => BucketArn + "/*";
}

/// <summary>
/// The tenant's IAM policy (spec §2.2 allow statements) plus an explicit Deny of every S3 action on any
/// resource that is not the tenant bucket or its objects, and an evaluator for such documents used by the
/// fleet-wide proof.
/// </summary>
public static class MinioTenantPolicy
{
    /// <summary>The policy document for <paramref name="tenant"/>, as sent to <c>add-canned-policy</c>.</summary>
    public static string Document(TenantId tenant)
    {
        var names = MinioTenantNames.For(tenant);
        var policy = new JsonObject
        {
            ["Version"] = "2012-10-17",
            ["Statement"] = new JsonArray
            {
                new JsonObject
                {
                    ["Sid"] = "TenantBucket",
                    ["Effect"] = "Allow",
                    ["Action"] = new JsonArray("s3:ListBucket", "s3:GetBucketLocation"),
                    ["Resource"] = new JsonArray(names.BucketArn),
                },
                new JsonObject
                {
                    ["Sid"] = "TenantObjects",
                    ["Effect"] = "Allow",
                    ["Action"] = new JsonArray("s3:GetObject", "s3:PutObject", "s3:DeleteObject"),
                    ["Resource"] = new JsonArray(names.ObjectsArn),
                },
                new JsonObject
                {
                    ["Sid"] = "DenyEverythingOutsideTenantBucket",
                    ["Effect"] = "Deny",
                    ["Action"] = new JsonArray("s3:*"),
                    ["NotResource"] = new JsonArray(names.BucketArn, names.ObjectsArn),
                },
            },
        };
        return policy.ToJsonString();
    }

    /// <summary>
    /// Evaluates a policy document for one action on one resource ARN the way MinIO does for a user
    /// (no conditions): an explicit Deny wins, then any Allow, otherwise denied.
    /// </summary>
    public static bool IsAllowed(string policyJson, string action, string resourceArn)
    {
        // MinIO matches a bucket-level request as "bucket/" (so "bucket/*" patterns cover it too) and also
        // accepts an exact match of the path-cleaned resource; do the same.
        const string arnPrefix = "arn:aws:s3:::";
        if (resourceArn.StartsWith(arnPrefix, StringComparison.Ordinal) && !resourceArn.AsSpan(arnPrefix.Length).Contains('/'))
            resourceArn += "/";
        var statements = Parse(policyJson);
        var allowed = false;
        foreach (var s in statements.Where(s => s.Matches(action, resourceArn)))
        {
            if (s.Deny)
                return false;
            allowed = true;
        }
        return allowed;
    }

    /// <summary>
    /// Structural check that a document allows nothing outside <paramref name="tenant"/>'s bucket: every Allow
    /// names only the tenant bucket ARN or its objects (no NotResource/NotAction allows), and the explicit Deny
    /// of everything else is present. Returns the problems found (empty = confined).
    /// </summary>
    public static IReadOnlyList<string> ConfinementProblems(string policyJson, TenantId tenant)
    {
        var names = MinioTenantNames.For(tenant);
        var problems = new List<string>();
        IReadOnlyList<Statement> statements;
        try
        {
            statements = Parse(policyJson);
        }
        catch (JsonException)
        {
            return ["policy is not valid JSON"];
        }
        catch (FormatException e)
        {
            return [e.Message];
        }
        foreach (var s in statements.Where(s => !s.Deny))
        {
            if (s.NotResources.Count > 0 || s.NotActions.Count > 0)
                problems.Add("an Allow statement uses NotResource or NotAction");
            foreach (var r in s.Resources.Where(r => r != names.BucketArn && r != names.ObjectsArn && !r.StartsWith(names.BucketArn + "/", StringComparison.Ordinal)))
                problems.Add($"an Allow statement names resource {r}");
            foreach (var r in s.Resources.Where(r => r.StartsWith(names.BucketArn + "/", StringComparison.Ordinal) && r.Contains('*', StringComparison.Ordinal) && r != names.ObjectsArn))
                problems.Add($"an Allow statement names wildcard resource {r}");
        }
        var hasDeny = statements.Any(s => s.Deny
            && s.Actions.Contains("s3:*")
            && s.NotResources.Count == 2
            && s.NotResources.Contains(names.BucketArn)
            && s.NotResources.Contains(names.ObjectsArn));
        if (!hasDeny)
            problems.Add("the explicit Deny of s3:* outside the tenant bucket is missing");
        return problems;
    }

    private sealed record Statement(bool Deny, IReadOnlyList<string> Actions, IReadOnlyList<string> NotActions, IReadOnlyList<string> Resources, IReadOnlyList<string> NotResources, bool HasCondition)
    {
        public bool Matches(string action, string resource)
        {
            var actionMatch = Actions.Count > 0 ? Actions.Any(a => Wildcard(a, action)) : !NotActions.Any(a => Wildcard(a, action));
            if (!actionMatch)
                return false;
            var resourceMatch = Resources.Count > 0 ? Resources.Any(r => ResourceMatch(r, resource)) : !NotResources.Any(r => ResourceMatch(r, resource));
            // A conditional Allow is not counted as granting; a conditional Deny is treated as always denying (conservative both ways).
            return resourceMatch && (!HasCondition || Deny);
        }
    }

    private static List<Statement> Parse(string policyJson)
    {
        var root = JsonNode.Parse(policyJson) as JsonObject ?? throw new FormatException("policy is not a JSON object");
        var list = root["Statement"] switch
        {
            JsonArray a => a.OfType<JsonObject>().ToList(),
            JsonObject o => [o],
            _ => throw new FormatException("policy has no Statement"),
        };
        return list.Select(s => new Statement(
            string.Equals((string?)s["Effect"], "Deny", StringComparison.Ordinal),
            Strings(s["Action"]),
            Strings(s["NotAction"]),
            Strings(s["Resource"]),
            Strings(s["NotResource"]),
            s["Condition"] is JsonObject { Count: > 0 })).ToList();
    }

    private static List<string> Strings(JsonNode? node) => node switch
    {
        null => [],
        JsonArray a => a.Select(n => (string?)n ?? "").ToList(),
        _ => [(string?)node ?? ""],
    };

    private static bool ResourceMatch(string pattern, string resource) =>
        Wildcard(pattern, resource) || (resource.Length > 1 && resource.EndsWith('/') && resource[..^1] == pattern);

    /// <summary>MinIO wildcard match: '*' any run, '?' one character, otherwise exact (case-sensitive).</summary>
    internal static bool Wildcard(string pattern, string text)
    {
        int p = 0, t = 0, star = -1, mark = 0;
        while (t < text.Length)
        {
            if (p < pattern.Length && (pattern[p] == '?' || pattern[p] == text[t]))
            {
                p++;
                t++;
            }
            else if (p < pattern.Length && pattern[p] == '*')
            {
                star = p++;
                mark = t;
            }
            else if (star >= 0)
            {
                p = star + 1;
                t = ++mark;
            }
            else
            {
                return false;
            }
        }
        while (p < pattern.Length && pattern[p] == '*')
            p++;
        return p == pattern.Length;
    }
}
