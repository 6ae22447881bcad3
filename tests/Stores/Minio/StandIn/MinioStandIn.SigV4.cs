using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace RunbookHost.Tests.Stores.Minio.StandIn;

/// <summary>SigV4 (header form) verification, computed independently of the library's signer.</summary>
public sealed partial class MinioStandIn
{
    private readonly record struct Failure(int Status, string Code, string Message);

    private (string? Caller, Failure? Error) Authenticate(HttpRequest request, string rawPath, string rawQuery, byte[] body)
    {
        var authorization = request.Headers.Authorization.ToString();
        if (string.IsNullOrEmpty(authorization))
            return (null, new Failure(403, "AccessDenied", "Anonymous requests are not served by this stand-in."));
        const string prefix = "AWS4-HMAC-SHA256 ";
        if (!authorization.StartsWith(prefix, StringComparison.Ordinal))
            return (null, new Failure(400, "AuthorizationHeaderMalformed", "Only AWS4-HMAC-SHA256 is supported."));
        var fields = authorization[prefix.Length..].Split(',', StringSplitOptions.TrimEntries)
            .Select(f => f.Split('=', 2))
            .Where(kv => kv.Length == 2)
            .ToDictionary(kv => kv[0], kv => kv[1], StringComparer.Ordinal);
        if (!fields.TryGetValue("Credential", out var credential) || !fields.TryGetValue("SignedHeaders", out var signedHeaders) || !fields.TryGetValue("Signature", out var signature))
            return (null, new Failure(400, "AuthorizationHeaderMalformed", "The authorization header is malformed."));
        var parts = credential.Split('/');
        if (parts.Length != 5)
            return (null, new Failure(400, "AuthorizationHeaderMalformed", "The credential scope is malformed."));
        var (accessKey, date, region, service) = (parts[0], parts[1], parts[2], parts[3]);
        // As MinIO's parseCredentialHeader: the region only when the server has one ("US" is us-east-1), the
        // service always s3 (admin calls too), the terminal aws4_request.
        if (Region.Length > 0 && Canonical(region) != Canonical(Region))
            return (null, new Failure(400, "AuthorizationHeaderMalformed", $"The authorization header is malformed; the region is wrong; expecting '{Region}'."));
        if (service != "s3")
            return (null, new Failure(400, "AuthorizationParametersError", "Error parsing the Credential/X-Amz-Credential parameter; incorrect service. This endpoint belongs to \"s3\"."));
        if (parts[4] != "aws4_request")
            return (null, new Failure(400, "AuthorizationQueryParametersError", "Error parsing the X-Amz-Credential parameter; incorrect terminal. This endpoint uses \"aws4_request\"."));

        string secret;
        lock (_gate)
        {
            if (accessKey == RootAccessKey)
                secret = RootSecretKey;
            else if (_users.TryGetValue(accessKey, out var user) && user.Enabled)
                secret = user.SecretKey;
            else
                return (null, new Failure(403, "InvalidAccessKeyId", "The Access Key Id you provided does not exist in our records."));
        }

        var amzDate = request.Headers["x-amz-date"].ToString();
        if (!DateTimeOffset.TryParseExact(amzDate, "yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var when)
            || !amzDate.StartsWith(date, StringComparison.Ordinal))
            return (null, new Failure(403, "AccessDenied", "X-Amz-Date is missing or does not match the credential scope."));
        if ((when - DateTimeOffset.UtcNow).Duration() > MaxSkew)
            return (null, new Failure(403, "RequestTimeTooSkewed", "The difference between the request time and the server's time is too large."));

        var payloadHash = request.Headers["x-amz-content-sha256"].ToString();
        if (string.IsNullOrEmpty(payloadHash))
            return (null, new Failure(400, "InvalidRequest", "x-amz-content-sha256 is required."));
        if (payloadHash.StartsWith("STREAMING-", StringComparison.Ordinal))
            return (null, new Failure(501, "NotImplemented", "Streaming (chunked) signatures are not emulated."));
        if (payloadHash != "UNSIGNED-PAYLOAD" && !string.Equals(payloadHash, Convert.ToHexStringLower(SHA256.HashData(body)), StringComparison.Ordinal))
            return (null, new Failure(400, "XAmzContentSHA256Mismatch", "The provided 'x-amz-content-sha256' header does not match what was computed."));

        var canonical = new StringBuilder();
        canonical.Append(request.Method).Append('\n').Append(rawPath).Append('\n').Append(CanonicalQuery(rawQuery)).Append('\n');
        var names = signedHeaders.Split(';');
        if (!names.Contains("host"))
            return (null, new Failure(403, "AccessDenied", "host must be signed."));
        foreach (var name in names)
        {
            var value = name == "host" ? request.Host.Value ?? "" : string.Join(',', request.Headers[name].Select(v => Fold(v ?? "")));
            canonical.Append(name).Append(':').Append(value).Append('\n');
        }
        canonical.Append('\n').Append(signedHeaders).Append('\n').Append(payloadHash);

        var stringToSign = $"AWS4-HMAC-SHA256\n{amzDate}\n{date}/{region}/{service}/aws4_request\n{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(canonical.ToString())))}";
        var key = HMACSHA256.HashData(Encoding.UTF8.GetBytes("AWS4" + secret), Encoding.UTF8.GetBytes(date));
        foreach (var part in new[] { region, service, "aws4_request" })
            key = HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(part));
        var expected = Convert.ToHexStringLower(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(stringToSign)));
        if (!CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(expected), Encoding.ASCII.GetBytes(signature)))
            return (null, new Failure(403, "SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided. Check your key and signing method."));
        return (accessKey, null);
    }

    private static string Canonical(string region) => region == "US" ? "us-east-1" : region;

    private static string Fold(string value)
    {
        var trimmed = value.Trim();
        while (trimmed.Contains("  ", StringComparison.Ordinal))
            trimmed = trimmed.Replace("  ", " ", StringComparison.Ordinal);
        return trimmed;
    }

    private static string CanonicalQuery(string rawQuery) =>
        string.Join('&', ParseQueryPairs(rawQuery)
            .Select(p => (Encode(p.Key), Encode(p.Value)))
            .OrderBy(p => p.Item1, StringComparer.Ordinal)
            .ThenBy(p => p.Item2, StringComparer.Ordinal)
            .Select(p => p.Item1 + "=" + p.Item2));

    private static string Encode(string s)
    {
        var sb = new StringBuilder();
        foreach (var b in Encoding.UTF8.GetBytes(s))
        {
            if ((b >= 'A' && b <= 'Z') || (b >= 'a' && b <= 'z') || (b >= '0' && b <= '9') || b is (byte)'-' or (byte)'_' or (byte)'.' or (byte)'~')
                sb.Append((char)b);
            else
                sb.Append('%').Append(b.ToString("X2", CultureInfo.InvariantCulture));
        }
        return sb.ToString();
    }

    private static List<KeyValuePair<string, string>> ParseQueryPairs(string rawQuery) =>
        rawQuery.Split('&', StringSplitOptions.RemoveEmptyEntries).Select(part =>
        {
            var eq = part.IndexOf('=');
            return eq < 0
                ? new KeyValuePair<string, string>(Uri.UnescapeDataString(part), "")
                : new KeyValuePair<string, string>(Uri.UnescapeDataString(part[..eq]), Uri.UnescapeDataString(part[(eq + 1)..].Replace('+', ' ')));
        }).ToList();

    private static Dictionary<string, string> ParseQuery(string rawQuery)
    {
        var d = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (k, v) in ParseQueryPairs(rawQuery))
            d[k] = v;
        return d;
    }
}
