using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Grpc.Core;

namespace RunbookHost.Tests.Stores.Qdrant.StandIn;

/// <summary>What a request may do, after Qdrant-style authentication (api key or HS256 JWT with `access` claims).</summary>
internal sealed class StandInAccess
{
    public bool Manage { get; init; }
    public bool GlobalRead { get; init; }
    /// <summary>collection → "r" | "rw" | "prw" (collection-scoped tokens only).</summary>
    public IReadOnlyDictionary<string, string> Collections { get; init; } = new Dictionary<string, string>();

    public static readonly StandInAccess Full = new() { Manage = true, GlobalRead = true };

    public void RequireManage()
    {
        if (!Manage)
            throw new RpcException(new Status(StatusCode.PermissionDenied, "Forbidden: Global manage access is required"));
    }

    public void RequireCollection(string collection, bool write)
    {
        if (Manage || (GlobalRead && !write))
            return;
        if (Collections.TryGetValue(collection, out var mode) && (!write || mode.Contains('w')))
            return;
        throw new RpcException(new Status(StatusCode.PermissionDenied,
            write ? $"Forbidden: Write access to collection {collection} is required" : $"Forbidden: Access to collection {collection} is required"));
    }

    public bool CanSee(string collection) => Manage || GlobalRead || Collections.ContainsKey(collection);
}

/// <summary>
/// Authentication like Qdrant with `service.api_key` and `service.jwt_rbac: true`: the `api-key` metadata
/// (or `authorization: Bearer …`) equal to the key = full access; otherwise an HS256 JWT signed with the key.
/// Written independently of the library's encoder so a bug there is not mirrored here.
/// </summary>
internal sealed class StandInAuth(string apiKey, TimeProvider time, Func<string, IReadOnlyList<(string Key, string Value)>, bool?> valueExists)
{
    private static readonly long LeewaySeconds = 30;

    public StandInAccess Authenticate(ServerCallContext context)
    {
        var key = context.RequestHeaders.GetValue("api-key");
        if (key is null && context.RequestHeaders.GetValue("authorization") is { } auth && auth.StartsWith("Bearer ", StringComparison.Ordinal))
            key = auth["Bearer ".Length..];
        if (key is null)
            throw Unauthenticated("Must provide an API key or an Authorization bearer token");
        if (CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(key), Encoding.UTF8.GetBytes(apiKey)))
            return StandInAccess.Full;
        return FromJwt(key);
    }

    private StandInAccess FromJwt(string token)
    {
        var parts = token.Split('.');
        JsonObject? header, claims;
        byte[] signature;
        try
        {
            if (parts.Length != 3)
                throw new FormatException();
            header = JsonNode.Parse(Decode(parts[0])) as JsonObject;
            claims = JsonNode.Parse(Decode(parts[1])) as JsonObject;
            signature = Decode(parts[2]);
        }
        catch (Exception e) when (e is FormatException or System.Text.Json.JsonException)
        {
            throw Unauthenticated("Invalid API key or JWT");
        }
        if (header is null || claims is null || (string?)header["alg"] != "HS256")
            throw Unauthenticated("Invalid API key or JWT");
        var expected = HMACSHA256.HashData(Encoding.UTF8.GetBytes(apiKey), Encoding.ASCII.GetBytes(parts[0] + "." + parts[1]));
        if (!CryptographicOperations.FixedTimeEquals(expected, signature))
            throw Forbidden("InvalidSignature");
        // Qdrant decodes `exp` as an unsigned integer: anything else fails decoding, and a token that does not decode
        // is "not a JWT" (Unauthenticated), not an expired one.
        if (claims["exp"] is { } expNode)
        {
            if (expNode is not JsonValue exp || !exp.TryGetValue<long>(out var seconds) || seconds < 0)
                throw Unauthenticated("Invalid API key or JWT");
            if (seconds < time.GetUtcNow().ToUnixTimeSeconds() - LeewaySeconds)
                throw Forbidden("ExpiredSignature");
        }

        if (claims["value_exists"] is JsonObject ve)
        {
            var collection = (string?)ve["collection"] ?? throw Unauthenticated("Invalid API key or JWT");
            var matches = (ve["matches"] as JsonArray ?? [])
                .Select(m => ((string?)m?["key"] ?? "", m?["value"]?.ToString() ?? ""))
                .ToList();
            switch (valueExists(collection, matches))
            {
                case null:
                    throw Forbidden("Invalid JWT, stateful validation failed");
                case false:
                    throw Unauthenticated("Invalid JWT, stateful validation failed");
            }
        }

        return claims["access"] switch
        {
            null => StandInAccess.Full, // as in Qdrant: no access claim = full access
            JsonValue v when (string?)v == "m" => StandInAccess.Full,
            JsonValue v when (string?)v == "r" => new StandInAccess { GlobalRead = true },
            JsonArray list => new StandInAccess { Collections = ParseList(list) },
            _ => throw Unauthenticated("Invalid API key or JWT"),
        };
    }

    private static Dictionary<string, string> ParseList(JsonArray list)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var item in list)
        {
            var collection = (string?)item?["collection"];
            var mode = (string?)item?["access"];
            if (collection is null || mode is not ("r" or "rw" or "prw"))
                throw Unauthenticated("Invalid API key or JWT");
            // Claims.validate (lib/storage/src/rbac): each collection once, and the deprecated `payload` constraint refused.
            if (result.ContainsKey(collection))
                throw Unauthenticated($"access: collection {collection} is listed more than once");
            if (item?["payload"] is not null)
                throw Unauthenticated("access: The 'payload' constraint is deprecated and should not be used");
            result[collection] = mode;
        }
        return result;
    }

    private static byte[] Decode(string s)
    {
        var b = s.Replace('-', '+').Replace('_', '/');
        return Convert.FromBase64String(b + new string('=', (4 - b.Length % 4) % 4));
    }

    private static RpcException Unauthenticated(string message) => new(new Status(StatusCode.Unauthenticated, "Unauthorized: " + message));

    private static RpcException Forbidden(string message) => new(new Status(StatusCode.PermissionDenied, "Forbidden: " + message));
}
