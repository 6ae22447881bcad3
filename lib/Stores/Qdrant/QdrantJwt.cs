using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace RunbookHost.Stores.Qdrant;

/// <summary>
/// Minimal HS256 JSON Web Token (RFC 7519) encoding and verification, as Qdrant's JWT RBAC uses it:
/// header `{"alg":"HS256","typ":"JWT"}`, HMAC-SHA256 over `base64url(header).base64url(payload)`
/// keyed with the UTF-8 bytes of the api key.
/// </summary>
public static class QdrantJwt
{
    public const string HeaderJson = """{"alg":"HS256","typ":"JWT"}""";

    /// <summary>Signs <paramref name="payloadJson"/> exactly as given (no re-serialization).</summary>
    public static string Sign(string payloadJson, string secret)
    {
        ArgumentException.ThrowIfNullOrEmpty(secret);
        var signingInput = Base64Url(Encoding.UTF8.GetBytes(HeaderJson)) + "." + Base64Url(Encoding.UTF8.GetBytes(payloadJson));
        return signingInput + "." + Base64Url(Mac(signingInput, secret));
    }

    /// <summary>
    /// Checks the header (HS256 only), the signature and `exp` (with <paramref name="leeway"/>) and returns the claims.
    /// The reason never repeats the token.
    /// </summary>
    public static bool TryVerify(string token, string secret, DateTimeOffset now, TimeSpan leeway,
        [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out JsonObject? claims, out string reason)
    {
        claims = null;
        var parts = token.Split('.');
        if (parts.Length != 3)
        {
            reason = "not a JWT (expected three dot-separated parts)";
            return false;
        }
        try
        {
            var header = JsonNode.Parse(FromBase64Url(parts[0])) as JsonObject;
            if (header?["alg"]?.GetValue<string>() != "HS256")
            {
                reason = "JWT header does not name alg HS256";
                return false;
            }
            var expected = Mac(parts[0] + "." + parts[1], secret);
            if (!CryptographicOperations.FixedTimeEquals(expected, FromBase64Url(parts[2])))
            {
                reason = "JWT signature does not verify with the api key";
                return false;
            }
            if (JsonNode.Parse(FromBase64Url(parts[1])) is not JsonObject payload)
            {
                reason = "JWT payload is not a JSON object";
                return false;
            }
            if (payload["exp"] is JsonValue exp && now.ToUnixTimeSeconds() - (long)leeway.TotalSeconds > exp.GetValue<long>())
            {
                reason = "JWT has expired";
                return false;
            }
            claims = payload;
            reason = "";
            return true;
        }
        catch (Exception e) when (e is FormatException or JsonException or InvalidOperationException)
        {
            reason = "JWT is malformed";
            return false;
        }
    }

    /// <summary>Decodes the payload without checking anything (for display and fleet audits of stored tokens).</summary>
    public static JsonObject DecodePayloadUnverified(string token)
    {
        var parts = token.Split('.');
        if (parts.Length != 3)
            throw new FormatException("not a JWT (expected three dot-separated parts)");
        return JsonNode.Parse(FromBase64Url(parts[1])) as JsonObject ?? throw new FormatException("JWT payload is not a JSON object");
    }

    public static string Base64Url(ReadOnlySpan<byte> data) =>
        Convert.ToBase64String(data).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public static byte[] FromBase64Url(string text)
    {
        if (text.Contains('=') || text.Contains('+') || text.Contains('/'))
            throw new FormatException("not base64url without padding");
        var s = text.Replace('-', '+').Replace('_', '/');
        s += (s.Length % 4) switch { 0 => "", 2 => "==", 3 => "=", _ => throw new FormatException("bad base64url length") };
        return Convert.FromBase64String(s);
    }

    private static byte[] Mac(string signingInput, string secret) =>
        HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.ASCII.GetBytes(signingInput));
}
