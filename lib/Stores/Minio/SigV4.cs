using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace RunbookHost.Stores.Minio;

/// <summary>The parts of one AWS Signature Version 4 computation (exposed so tests can compare with published vectors).</summary>
public sealed record SigV4Signature(string CanonicalRequest, string StringToSign, string Scope, string SignedHeaders, string Signature, string Authorization);

/// <summary>
/// AWS Signature Version 4 (header form) as MinIO checks it: <c>AWS4-HMAC-SHA256 Credential=AK/YYYYMMDD/region/service/aws4_request</c>.
/// The region may be empty (scope <c>YYYYMMDD//s3/aws4_request</c>), which a MinIO server without a region accepts.
/// </summary>
public static class SigV4
{
    public const string Algorithm = "AWS4-HMAC-SHA256";
    public const string EmptyPayloadSha256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    /// <summary>Computes the signature over already-canonical path and query and the given headers (names any case; values trimmed, inner spaces folded).</summary>
    public static SigV4Signature Compute(
        string method,
        string canonicalUri,
        string canonicalQuery,
        IEnumerable<KeyValuePair<string, string>> headers,
        string payloadHash,
        DateTimeOffset time,
        string accessKey,
        string secretKey,
        string region,
        string service)
    {
        var canonicalHeaders = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, value) in headers)
        {
            var headerName = name.Trim().ToLowerInvariant();
            var folded = FoldSpaces(value);
            canonicalHeaders[headerName] = canonicalHeaders.TryGetValue(headerName, out var existing) ? existing + "," + folded : folded;
        }
        var signedHeaders = string.Join(';', canonicalHeaders.Keys);
        var canonicalRequest = new StringBuilder()
            .Append(method).Append('\n')
            .Append(canonicalUri).Append('\n')
            .Append(canonicalQuery).Append('\n');
        foreach (var (name, value) in canonicalHeaders)
            canonicalRequest.Append(name).Append(':').Append(value).Append('\n');
        canonicalRequest.Append('\n').Append(signedHeaders).Append('\n').Append(payloadHash);

        var utc = time.UtcDateTime;
        var date = utc.ToString("yyyyMMdd", CultureInfo.InvariantCulture);
        var amzDate = utc.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);
        var scope = $"{date}/{region}/{service}/aws4_request";
        var canonical = canonicalRequest.ToString();
        var stringToSign = $"{Algorithm}\n{amzDate}\n{scope}\n{HexSha256(Encoding.UTF8.GetBytes(canonical))}";

        var key = Hmac(Encoding.UTF8.GetBytes("AWS4" + secretKey), date);
        key = Hmac(key, region);
        key = Hmac(key, service);
        key = Hmac(key, "aws4_request");
        var signature = Convert.ToHexStringLower(Hmac(key, stringToSign));
        var authorization = $"{Algorithm} Credential={accessKey}/{scope}, SignedHeaders={signedHeaders}, Signature={signature}";
        return new SigV4Signature(canonical, stringToSign, scope, signedHeaders, signature, authorization);
    }

    /// <summary>
    /// Signs <paramref name="request"/> (whose URI path and query must already be in canonical encoding, see
    /// <see cref="UriEncode"/>) over host, x-amz-date and x-amz-content-sha256 (the hex SHA-256 of <paramref name="body"/>).
    /// </summary>
    public static void Sign(HttpRequestMessage request, ReadOnlySpan<byte> body, string accessKey, string secretKey, string region, string service, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(request);
        var uri = request.RequestUri ?? throw new ArgumentException("request has no URI", nameof(request));
        var host = uri.IsDefaultPort ? uri.Host : $"{uri.Host}:{uri.Port}";
        var payloadHash = HexSha256(body);
        var amzDate = now.UtcDateTime.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);
        var query = uri.Query.StartsWith('?') ? uri.Query[1..] : uri.Query;
        var signature = Compute(
            request.Method.Method,
            uri.AbsolutePath,
            CanonicalQueryFromRaw(query),
            [new("host", host), new("x-amz-date", amzDate), new("x-amz-content-sha256", payloadHash)],
            payloadHash,
            now,
            accessKey,
            secretKey,
            region,
            service);
        request.Headers.Host = host;
        request.Headers.TryAddWithoutValidation("x-amz-date", amzDate);
        request.Headers.TryAddWithoutValidation("x-amz-content-sha256", payloadHash);
        request.Headers.TryAddWithoutValidation("Authorization", signature.Authorization);
    }

    /// <summary>Builds the canonical query string: pairs URI-encoded, sorted by name then value, joined with '&amp;'.</summary>
    public static string CanonicalQuery(IEnumerable<KeyValuePair<string, string>> pairs) =>
        string.Join('&', pairs
            .Select(p => (Name: UriEncode(p.Key, encodeSlash: true), Value: UriEncode(p.Value, encodeSlash: true)))
            .OrderBy(p => p.Name, StringComparer.Ordinal)
            .ThenBy(p => p.Value, StringComparer.Ordinal)
            .Select(p => p.Name + "=" + p.Value));

    /// <summary>Canonicalizes a raw (percent-encoded) query string as received on the wire.</summary>
    public static string CanonicalQueryFromRaw(string rawQuery)
    {
        if (string.IsNullOrEmpty(rawQuery))
            return "";
        var pairs = new List<KeyValuePair<string, string>>();
        foreach (var part in rawQuery.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = part.IndexOf('=');
            var name = eq < 0 ? part : part[..eq];
            var value = eq < 0 ? "" : part[(eq + 1)..];
            pairs.Add(new(Uri.UnescapeDataString(name), Uri.UnescapeDataString(value)));
        }
        return CanonicalQuery(pairs);
    }

    /// <summary>RFC 3986 encoding as SigV4 wants it: unreserved characters kept, everything else %XX (upper case) of its UTF-8 bytes.</summary>
    public static string UriEncode(string value, bool encodeSlash)
    {
        var builder = new StringBuilder(value.Length);
        foreach (var b in Encoding.UTF8.GetBytes(value))
        {
            var c = (char)b;
            if (c is (>= 'A' and <= 'Z') or (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-' or '_' or '.' or '~' || (c == '/' && !encodeSlash))
                builder.Append(c);
            else
                builder.Append('%').Append(b.ToString("X2", CultureInfo.InvariantCulture));
        }
        return builder.ToString();
    }

    public static string HexSha256(ReadOnlySpan<byte> data) => Convert.ToHexStringLower(SHA256.HashData(data));

    private static byte[] Hmac(byte[] key, string data) => HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(data));

    private static string FoldSpaces(string value)
    {
        var trimmed = value.Trim();
        var builder = new StringBuilder(trimmed.Length);
        var previousSpace = false;
        foreach (var c in trimmed)
        {
            var space = c == ' ';
            if (!(space && previousSpace))
                builder.Append(c);
            previousSpace = space;
        }
        return builder.ToString();
    }
}
