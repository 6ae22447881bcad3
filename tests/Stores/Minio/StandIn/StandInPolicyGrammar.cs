using System.Text.Json;

namespace RunbookHost.Tests.Stores.Minio.StandIn;

/// <summary>
/// What MinIO's add-canned-policy accepts, after minio/pkg policy.ParseConfig (Go's encoding/json with
/// DisallowUnknownFields, so field names match case-insensitively and any other field is refused) and
/// Policy.Validate for S3 statements. Returns null when the document is accepted, else MinIO's error code and message.
/// </summary>
internal static class StandInPolicyGrammar
{
    private static readonly string[] PolicyFields = ["ID", "Version", "Statement"];
    private static readonly string[] StatementFields = ["Sid", "Effect", "Action", "NotAction", "Resource", "NotResource", "Condition"];

    /// <summary>S3 actions the tenant policy and the tests use, from minio/pkg policy/action.go; "s3:*" and wildcards match them.</summary>
    private static readonly string[] KnownS3Actions =
    [
        "s3:*", "s3:ListAllMyBuckets", "s3:ListBucket", "s3:GetBucketLocation", "s3:GetObject", "s3:PutObject", "s3:DeleteObject",
        "s3:ListBucketVersions", "s3:DeleteObjectVersion", "s3:GetObjectVersion", "s3:CreateBucket", "s3:DeleteBucket",
        "s3:GetEncryptionConfiguration", "s3:PutEncryptionConfiguration", "s3:ListMultipartUploadParts", "s3:AbortMultipartUpload",
        "s3:ListBucketMultipartUploads", "s3:GetBucketPolicy", "s3:PutBucketPolicy", "s3:DeleteBucketPolicy", "s3:GetObjectTagging",
        "s3:PutObjectTagging", "s3:DeleteObjectTagging", "s3:GetBucketVersioning", "s3:PutBucketVersioning",
    ];

    public static (string Code, string Message)? Problem(byte[] body)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(body);
        }
        catch (JsonException)
        {
            return Malformed("invalid JSON");
        }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
                return Malformed("a policy is a JSON object");
            if (Unknown(doc.RootElement, PolicyFields) is { } field)
                return Malformed($"json: unknown field \"{field}\"");
            var version = Field(doc.RootElement, "Version") is { ValueKind: JsonValueKind.String } v ? v.GetString() : null;
            if (string.IsNullOrEmpty(version))
                return ("MalformedPolicy", "The policy must contain a valid version string");
            if (version != "2012-10-17")
                return Malformed($"invalid version '{version}'");
            if (Field(doc.RootElement, "Statement") is not { ValueKind: JsonValueKind.Array } statements)
                return Malformed("json: Statement must be an array of statements");
            foreach (var statement in statements.EnumerateArray())
            {
                if (StatementProblem(statement) is { } problem)
                    return Malformed(problem);
            }
            return null;
        }
    }

    private static string? StatementProblem(JsonElement s)
    {
        if (s.ValueKind != JsonValueKind.Object)
            return "a statement is a JSON object";
        if (Unknown(s, StatementFields) is { } field)
            return $"json: unknown field \"{field}\"";
        if (Field(s, "Effect") is not { ValueKind: JsonValueKind.String } effect || effect.GetString() is not ("Allow" or "Deny"))
            return "invalid Effect";
        var actions = Strings(Field(s, "Action"));
        var notActions = Strings(Field(s, "NotAction"));
        if (actions is null || notActions is null)
            return "Action must be a string or an array of strings";
        if (actions.Count == 0 && notActions.Count == 0)
            return "Action must not be empty";
        if (actions.Count > 0 && notActions.Count > 0)
            return "Action and NotAction cannot be specified in the same statement";
        if (actions.Concat(notActions).FirstOrDefault(a => !KnownS3Actions.Any(k => Wildcard(a, k))) is { } unknown)
            return $"invalid action '{unknown}'";
        var resources = Strings(Field(s, "Resource"));
        var notResources = Strings(Field(s, "NotResource"));
        if (resources is null || notResources is null)
            return "Resource must be a string or an array of strings";
        if (resources.Count == 0 && notResources.Count == 0)
            return "Resource must not be empty";
        if (resources.Count > 0 && notResources.Count > 0)
            return "Resource and NotResource cannot be specified in the same statement";
        foreach (var list in new[] { resources, notResources })
        {
            if (list.FirstOrDefault(r => r != "*" && (!r.StartsWith("arn:aws:s3:::", StringComparison.Ordinal) || r["arn:aws:s3:::".Length..].StartsWith('/'))) is { } bad)
                return $"invalid resource '{bad}'";
            if (list.Count != list.Distinct(StringComparer.Ordinal).Count())
                return "duplicate resource found";
        }
        return null;
    }

    private static (string, string) Malformed(string message) => ("XMinioMalformedIAMPolicy", message);

    /// <summary>Go's encoding/json matches field names case-insensitively.</summary>
    private static JsonElement? Field(JsonElement o, string name) =>
        o.EnumerateObject().Where(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase)).Select(p => (JsonElement?)p.Value).FirstOrDefault();

    private static string? Unknown(JsonElement o, string[] known) =>
        o.EnumerateObject().Select(p => p.Name).FirstOrDefault(n => !known.Contains(n, StringComparer.OrdinalIgnoreCase));

    /// <summary>A string or an array of strings (minio-go set.StringSet); absent = empty; anything else = null.</summary>
    private static List<string>? Strings(JsonElement? e) => e switch
    {
        null => [],
        { ValueKind: JsonValueKind.String } v => [v.GetString()!],
        { ValueKind: JsonValueKind.Array } a when a.EnumerateArray().All(x => x.ValueKind == JsonValueKind.String) => [.. a.EnumerateArray().Select(x => x.GetString()!)],
        _ => null,
    };

    /// <summary>minio/pkg Action.IsValid: the statement's action, as a pattern ('*' any run, '?' one character), matches a supported action.</summary>
    private static bool Wildcard(string pattern, string name)
    {
        if (pattern.Length == 0)
            return name.Length == 0;
        if (pattern[0] == '*')
            return Wildcard(pattern[1..], name) || (name.Length > 0 && Wildcard(pattern, name[1..]));
        return name.Length > 0 && (pattern[0] == '?' || pattern[0] == name[0]) && Wildcard(pattern[1..], name[1..]);
    }
}
