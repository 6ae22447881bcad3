using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Xml.Linq;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using RunbookHost.Stores.Minio;

namespace RunbookHost.Tests.Stores.Minio.StandIn;

/// <summary>
/// In-process MinIO protocol stand-in (tests only): Kestrel on 127.0.0.1:0 speaking the part of S3 and the
/// admin API (/minio/admin/v3) that runbook-host uses, with SigV4 verification for root and IAM users,
/// madmin-encrypted admin bodies, and enforcement of attached canned policies for non-root users.
/// See README.md for what it does not emulate.
/// </summary>
public sealed class MinioStandIn : IAsyncDisposable
{
    private const string S3Ns = "http://s3.amazonaws.com/doc/2006-03-01/";
    private static readonly TimeSpan MaxSkew = TimeSpan.FromMinutes(15);

    private readonly WebApplication _app;
    private readonly object _gate = new();
    private readonly Dictionary<string, Bucket> _buckets = new(StringComparer.Ordinal);
    private readonly Dictionary<string, User> _users = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _policies = new(StringComparer.Ordinal);
    private long _requestId;

    private MinioStandIn(WebApplication app, string rootAccessKey, string rootSecretKey)
    {
        _app = app;
        RootAccessKey = rootAccessKey;
        RootSecretKey = rootSecretKey;
    }

    public string RootAccessKey { get; }
    public string RootSecretKey { get; }
    public string Endpoint { get; private set; } = "";

    /// <summary>When true, bucket-encryption requests answer 501 NotImplemented like a MinIO without KMS.</summary>
    public bool EncryptionNotImplemented { get; set; }

    /// <summary>Requests refused with SignatureDoesNotMatch (for tests to look at).</summary>
    public int SignatureFailures;

    public static async Task<MinioStandIn> StartAsync(string rootAccessKey, string rootSecretKey)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var standIn = new MinioStandIn(app, rootAccessKey, rootSecretKey);
        app.Run(standIn.HandleAsync);
        await app.StartAsync().ConfigureAwait(false);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        standIn.Endpoint = address.Replace("[::1]", "127.0.0.1", StringComparison.Ordinal);
        return standIn;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }

    // ------------------------------------------------------------------ request entry

    private async Task HandleAsync(HttpContext ctx)
    {
        var raw = ctx.Features.Get<IHttpRequestFeature>()!.RawTarget;
        var q = raw.IndexOf('?');
        var rawPath = q < 0 ? raw : raw[..q];
        var rawQuery = q < 0 ? "" : raw[(q + 1)..];
        var query = ParseQuery(rawQuery);
        var admin = rawPath.StartsWith("/minio/admin/v3/", StringComparison.Ordinal);

        using var buffer = new MemoryStream();
        await ctx.Request.Body.CopyToAsync(buffer, ctx.RequestAborted).ConfigureAwait(false);
        var body = buffer.ToArray();

        var (caller, authError) = Authenticate(ctx.Request, rawPath, rawQuery, body);
        if (authError is not null)
        {
            if (authError.Value.Code == "SignatureDoesNotMatch")
                Interlocked.Increment(ref SignatureFailures);
            if (admin)
                await AdminError(ctx, authError.Value.Status, authError.Value.Code, authError.Value.Message).ConfigureAwait(false);
            else
                await S3Error(ctx, authError.Value.Status, authError.Value.Code, authError.Value.Message, rawPath).ConfigureAwait(false);
            return;
        }

        if (admin)
        {
            if (caller != RootAccessKey)
            {
                await AdminError(ctx, 403, "AccessDenied", "Access Denied.").ConfigureAwait(false);
                return;
            }
            await HandleAdminAsync(ctx, rawPath["/minio/admin/v3/".Length..], query, body).ConfigureAwait(false);
            return;
        }
        await HandleS3Async(ctx, caller!, Uri.UnescapeDataString(rawPath), query, body).ConfigureAwait(false);
    }

    // ------------------------------------------------------------------ SigV4 verification

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
        if (parts.Length != 5 || parts[4] != "aws4_request")
            return (null, new Failure(400, "AuthorizationHeaderMalformed", "The credential scope is malformed."));
        var (accessKey, date, region, service) = (parts[0], parts[1], parts[2], parts[3]);

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

    // ------------------------------------------------------------------ S3

    private sealed class Bucket(string name, DateTimeOffset created)
    {
        public string Name { get; } = name;
        public DateTimeOffset Created { get; } = created;
        public SortedDictionary<string, StoredObject> Objects { get; } = new(StringComparer.Ordinal);
        public string? Encryption { get; set; }
    }

    private sealed record StoredObject(byte[] Data, string ETag, DateTimeOffset Modified, string ContentType);

    private bool Allowed(string caller, string action, string bucket, string? key)
    {
        if (caller == RootAccessKey)
            return true;
        List<string> docs;
        lock (_gate)
        {
            if (!_users.TryGetValue(caller, out var user))
                return false;
            docs = user.Policies.Where(_policies.ContainsKey).Select(p => _policies[p]).ToList();
        }
        // MinIO's request resource: "bucket/" for bucket-level requests, "bucket/key" for objects, "/" for ListBuckets.
        var resource = "arn:aws:s3:::" + bucket + "/" + (key ?? "");
        return StandInPolicy.Allows(docs, action, resource);
    }

    private async Task HandleS3Async(HttpContext ctx, string caller, string path, Dictionary<string, string> query, byte[] body)
    {
        var trimmed = path.TrimStart('/');
        var slash = trimmed.IndexOf('/');
        var bucketName = slash < 0 ? trimmed : trimmed[..slash];
        var key = slash < 0 ? "" : trimmed[(slash + 1)..];
        var method = ctx.Request.Method;

        if (bucketName.Length == 0)
        {
            if (method == "GET")
                await ListBuckets(ctx, caller).ConfigureAwait(false);
            else
                await S3Error(ctx, 405, "MethodNotAllowed", "The specified method is not allowed against this resource.", path).ConfigureAwait(false);
            return;
        }

        if (key.Length == 0)
        {
            var (action, handler) = (method, query) switch
            {
                ("HEAD", _) => ("s3:ListBucket", (Func<Task>)(() => HeadBucket(ctx, bucketName))),
                ("GET", var qq) when qq.ContainsKey("location") => ("s3:GetBucketLocation", () => GetLocation(ctx, bucketName, path)),
                ("GET", var qq) when qq.ContainsKey("encryption") => ("s3:GetEncryptionConfiguration", () => GetEncryption(ctx, bucketName, path)),
                ("GET", var qq) when qq.ContainsKey("versions") => ("s3:ListBucketVersions", () => ListVersions(ctx, bucketName, query, path)),
                ("GET", var qq) when qq.Keys.All(k => k is "list-type" or "prefix" or "delimiter" or "max-keys" or "continuation-token" or "start-after" or "encoding-type" or "fetch-owner" or "marker") =>
                    ("s3:ListBucket", () => ListObjects(ctx, bucketName, query, path)),
                ("PUT", var qq) when qq.ContainsKey("encryption") => ("s3:PutEncryptionConfiguration", () => PutEncryption(ctx, bucketName, body, path)),
                ("PUT", var qq) when qq.Count == 0 => ("s3:CreateBucket", () => MakeBucket(ctx, bucketName, path)),
                ("DELETE", var qq) when qq.Count == 0 => ("s3:DeleteBucket", () => DeleteBucket(ctx, bucketName, path)),
                ("POST", var qq) when qq.ContainsKey("delete") => ("s3:DeleteObject", () => MultiDelete(ctx, caller, bucketName, body, path)),
                _ => ("", () => S3Error(ctx, 501, "NotImplemented", "A header you provided implies functionality that is not implemented", path)),
            };
            if (action.Length > 0 && !Allowed(caller, action, bucketName, null))
            {
                await S3Error(ctx, 403, "AccessDenied", "Access Denied.", path, head: method == "HEAD").ConfigureAwait(false);
                return;
            }
            await handler().ConfigureAwait(false);
            return;
        }

        var (objectAction, objectHandler) = (method, query) switch
        {
            ("PUT", var qq) when qq.Count == 0 && !ctx.Request.Headers.ContainsKey("x-amz-copy-source") => ("s3:PutObject", (Func<Task>)(() => PutObject(ctx, bucketName, key, body, path))),
            ("GET", var qq) when qq.Keys.All(k => k is "versionId") => ("s3:GetObject", () => GetObject(ctx, bucketName, key, path, head: false)),
            ("HEAD", var qq) when qq.Keys.All(k => k is "versionId") => ("s3:GetObject", () => GetObject(ctx, bucketName, key, path, head: true)),
            ("DELETE", var qq) when qq.Keys.All(k => k is "versionId") => (qq.ContainsKey("versionId") ? "s3:DeleteObjectVersion" : "s3:DeleteObject", () => DeleteObject(ctx, bucketName, key, query, path)),
            _ => ("", () => S3Error(ctx, 501, "NotImplemented", "A header you provided implies functionality that is not implemented", path)),
        };
        if (objectAction.Length > 0 && !Allowed(caller, objectAction, bucketName, key))
        {
            await S3Error(ctx, 403, "AccessDenied", "Access Denied.", path, head: method == "HEAD").ConfigureAwait(false);
            return;
        }
        await objectHandler().ConfigureAwait(false);
    }

    private async Task ListBuckets(HttpContext ctx, string caller)
    {
        List<Bucket> visible;
        lock (_gate)
            visible = _buckets.Values.OrderBy(b => b.Name, StringComparer.Ordinal).ToList();
        if (!Allowed(caller, "s3:ListAllMyBuckets", "", null))
        {
            // Like MinIO: without ListAllMyBuckets, show the buckets the caller may ListBucket; none = AccessDenied.
            visible = visible.Where(b => Allowed(caller, "s3:ListBucket", b.Name, null)).ToList();
            if (visible.Count == 0)
            {
                await S3Error(ctx, 403, "AccessDenied", "Access Denied.", "/").ConfigureAwait(false);
                return;
            }
        }
        XNamespace ns = S3Ns;
        var doc = new XElement(ns + "ListAllMyBucketsResult",
            new XElement(ns + "Owner", new XElement(ns + "ID", "standin"), new XElement(ns + "DisplayName", "standin")),
            new XElement(ns + "Buckets", visible.Select(b => new XElement(ns + "Bucket",
                new XElement(ns + "Name", b.Name),
                new XElement(ns + "CreationDate", Iso(b.Created))))));
        await Xml(ctx, 200, doc).ConfigureAwait(false);
    }

    private Bucket? Find(string name)
    {
        lock (_gate)
            return _buckets.GetValueOrDefault(name);
    }

    private Task NoSuchBucket(HttpContext ctx, string path, bool head = false) =>
        S3Error(ctx, 404, "NoSuchBucket", "The specified bucket does not exist", path, head);

    private Task HeadBucket(HttpContext ctx, string name)
    {
        ctx.Response.StatusCode = Find(name) is null ? 404 : 200;
        return Task.CompletedTask;
    }

    private Task GetLocation(HttpContext ctx, string name, string path)
    {
        if (Find(name) is null)
            return NoSuchBucket(ctx, path);
        XNamespace ns = S3Ns;
        return Xml(ctx, 200, new XElement(ns + "LocationConstraint"));
    }

    private Task MakeBucket(HttpContext ctx, string name, string path)
    {
        if (name.Length is < 3 or > 63 || !name.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-' or '.'))
            return S3Error(ctx, 400, "InvalidBucketName", "The specified bucket is not valid.", path);
        lock (_gate)
        {
            if (_buckets.ContainsKey(name))
                return S3Error(ctx, 409, "BucketAlreadyOwnedByYou", "Your previous request to create the named bucket succeeded and you already own it.", path);
            _buckets[name] = new Bucket(name, DateTimeOffset.UtcNow);
        }
        ctx.Response.Headers.Location = "/" + name;
        return Task.CompletedTask;
    }

    private Task DeleteBucket(HttpContext ctx, string name, string path)
    {
        lock (_gate)
        {
            if (!_buckets.TryGetValue(name, out var bucket))
                return NoSuchBucket(ctx, path);
            if (bucket.Objects.Count > 0)
                return S3Error(ctx, 409, "BucketNotEmpty", "The bucket you tried to delete is not empty", path);
            _buckets.Remove(name);
        }
        ctx.Response.StatusCode = 204;
        return Task.CompletedTask;
    }

    private Task PutEncryption(HttpContext ctx, string name, byte[] body, string path)
    {
        if (EncryptionNotImplemented)
            return S3Error(ctx, 501, "NotImplemented", "A header you provided implies functionality that is not implemented", path);
        var bucket = Find(name);
        if (bucket is null)
            return NoSuchBucket(ctx, path);
        XDocument doc;
        try
        {
            doc = XDocument.Parse(Encoding.UTF8.GetString(body));
        }
        catch (System.Xml.XmlException)
        {
            return S3Error(ctx, 400, "MalformedXML", "The XML you provided was not well-formed or did not validate against our published schema.", path);
        }
        var algorithm = doc.Descendants().FirstOrDefault(e => e.Name.LocalName == "SSEAlgorithm")?.Value;
        if (algorithm is not ("AES256" or "aws:kms"))
            return S3Error(ctx, 400, "MalformedXML", "SSEAlgorithm must be AES256 or aws:kms.", path);
        lock (_gate)
            bucket.Encryption = doc.ToString(SaveOptions.DisableFormatting);
        return Task.CompletedTask;
    }

    private Task GetEncryption(HttpContext ctx, string name, string path)
    {
        if (EncryptionNotImplemented)
            return S3Error(ctx, 501, "NotImplemented", "A header you provided implies functionality that is not implemented", path);
        var bucket = Find(name);
        if (bucket is null)
            return NoSuchBucket(ctx, path);
        if (bucket.Encryption is null)
            return S3Error(ctx, 404, "ServerSideEncryptionConfigurationNotFoundError", "The server side encryption configuration was not found", path);
        return Raw(ctx, 200, "application/xml", Encoding.UTF8.GetBytes(bucket.Encryption));
    }

    /// <summary>The stored default-encryption algorithm of a bucket (AES256 / aws:kms), or null.</summary>
    public string? EncryptionOf(string bucket)
    {
        var b = Find(bucket);
        return b?.Encryption is { } xml ? XDocument.Parse(xml).Descendants().FirstOrDefault(e => e.Name.LocalName == "SSEAlgorithm")?.Value : null;
    }

    private Task ListObjects(HttpContext ctx, string name, Dictionary<string, string> query, string path)
    {
        var bucket = Find(name);
        if (bucket is null)
            return NoSuchBucket(ctx, path);
        var prefix = query.GetValueOrDefault("prefix") ?? "";
        var delimiter = query.GetValueOrDefault("delimiter") ?? "";
        List<(string Key, StoredObject Obj)> objects;
        lock (_gate)
            objects = bucket.Objects.Where(o => o.Key.StartsWith(prefix, StringComparison.Ordinal)).Select(o => (o.Key, o.Value)).ToList();
        var startAfter = query.GetValueOrDefault("start-after") ?? query.GetValueOrDefault("marker") ?? "";
        objects = objects.Where(o => string.CompareOrdinal(o.Key, startAfter) > 0).ToList();
        var contents = new List<(string Key, StoredObject Obj)>();
        var prefixes = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var o in objects)
        {
            var rest = o.Key[prefix.Length..];
            var cut = delimiter.Length > 0 ? rest.IndexOf(delimiter, StringComparison.Ordinal) : -1;
            if (cut >= 0)
                prefixes.Add(prefix + rest[..(cut + delimiter.Length)]);
            else
                contents.Add(o);
        }
        XNamespace ns = S3Ns;
        var v2 = query.GetValueOrDefault("list-type") == "2";
        var doc = new XElement(ns + "ListBucketResult",
            new XElement(ns + "Name", name),
            new XElement(ns + "Prefix", prefix),
            v2 ? new XElement(ns + "KeyCount", contents.Count + prefixes.Count) : new XElement(ns + "Marker", startAfter),
            new XElement(ns + "MaxKeys", 1000),
            delimiter.Length > 0 ? new XElement(ns + "Delimiter", delimiter) : null,
            new XElement(ns + "IsTruncated", "false"),
            contents.Select(o => new XElement(ns + "Contents",
                new XElement(ns + "Key", o.Key),
                new XElement(ns + "LastModified", Iso(o.Obj.Modified)),
                new XElement(ns + "ETag", Quote(o.Obj.ETag)),
                new XElement(ns + "Size", o.Obj.Data.Length),
                new XElement(ns + "StorageClass", "STANDARD"))),
            prefixes.Select(p => new XElement(ns + "CommonPrefixes", new XElement(ns + "Prefix", p))));
        return Xml(ctx, 200, doc);
    }

    private Task ListVersions(HttpContext ctx, string name, Dictionary<string, string> query, string path)
    {
        var bucket = Find(name);
        if (bucket is null)
            return NoSuchBucket(ctx, path);
        var prefix = query.GetValueOrDefault("prefix") ?? "";
        List<(string Key, StoredObject Obj)> objects;
        lock (_gate)
            objects = bucket.Objects.Where(o => o.Key.StartsWith(prefix, StringComparison.Ordinal)).Select(o => (o.Key, o.Value)).ToList();
        XNamespace ns = S3Ns;
        var doc = new XElement(ns + "ListVersionsResult",
            new XElement(ns + "Name", name),
            new XElement(ns + "Prefix", prefix),
            new XElement(ns + "KeyMarker", ""),
            new XElement(ns + "VersionIdMarker", ""),
            new XElement(ns + "MaxKeys", 1000),
            new XElement(ns + "IsTruncated", "false"),
            objects.Select(o => new XElement(ns + "Version",
                new XElement(ns + "Key", o.Key),
                new XElement(ns + "VersionId", "null"),
                new XElement(ns + "IsLatest", "true"),
                new XElement(ns + "LastModified", Iso(o.Obj.Modified)),
                new XElement(ns + "ETag", Quote(o.Obj.ETag)),
                new XElement(ns + "Size", o.Obj.Data.Length),
                new XElement(ns + "StorageClass", "STANDARD"))));
        return Xml(ctx, 200, doc);
    }

    private Task PutObject(HttpContext ctx, string name, string key, byte[] body, string path)
    {
        var bucket = Find(name);
        if (bucket is null)
            return NoSuchBucket(ctx, path);
        var etag = Convert.ToHexStringLower(MD5.HashData(body));
        lock (_gate)
            bucket.Objects[key] = new StoredObject(body, etag, DateTimeOffset.UtcNow, ctx.Request.ContentType ?? "application/octet-stream");
        ctx.Response.Headers.ETag = Quote(etag);
        return Task.CompletedTask;
    }

    private Task GetObject(HttpContext ctx, string name, string key, string path, bool head)
    {
        var bucket = Find(name);
        if (bucket is null)
            return NoSuchBucket(ctx, path, head);
        StoredObject? obj;
        lock (_gate)
            obj = bucket.Objects.GetValueOrDefault(key);
        if (obj is null)
            return S3Error(ctx, 404, "NoSuchKey", "The specified key does not exist.", path, head);
        ctx.Response.Headers.ETag = Quote(obj.ETag);
        ctx.Response.Headers.LastModified = obj.Modified.ToString("R", CultureInfo.InvariantCulture);
        ctx.Response.ContentType = obj.ContentType;
        ctx.Response.ContentLength = obj.Data.Length;
        return head ? Task.CompletedTask : ctx.Response.Body.WriteAsync(obj.Data).AsTask();
    }

    private Task DeleteObject(HttpContext ctx, string name, string key, Dictionary<string, string> query, string path)
    {
        var bucket = Find(name);
        if (bucket is null)
            return NoSuchBucket(ctx, path);
        if (query.TryGetValue("versionId", out var version) && version != "null")
            return S3Error(ctx, 400, "InvalidArgument", "Invalid version id specified", path);
        lock (_gate)
            bucket.Objects.Remove(key);
        ctx.Response.StatusCode = 204;
        return Task.CompletedTask;
    }

    private Task MultiDelete(HttpContext ctx, string caller, string name, byte[] body, string path)
    {
        var bucket = Find(name);
        if (bucket is null)
            return NoSuchBucket(ctx, path);
        XNamespace ns = S3Ns;
        var result = new XElement(ns + "DeleteResult");
        foreach (var o in XDocument.Parse(Encoding.UTF8.GetString(body)).Descendants().Where(e => e.Name.LocalName == "Object"))
        {
            var key = o.Elements().FirstOrDefault(e => e.Name.LocalName == "Key")?.Value ?? "";
            if (!Allowed(caller, "s3:DeleteObject", name, key))
            {
                result.Add(new XElement(ns + "Error", new XElement(ns + "Key", key), new XElement(ns + "Code", "AccessDenied"), new XElement(ns + "Message", "Access Denied.")));
                continue;
            }
            lock (_gate)
                bucket.Objects.Remove(key);
            result.Add(new XElement(ns + "Deleted", new XElement(ns + "Key", key)));
        }
        return Xml(ctx, 200, result);
    }

    // ------------------------------------------------------------------ admin API

    private sealed class User(string secretKey)
    {
        public string SecretKey { get; set; } = secretKey;
        public bool Enabled { get; set; } = true;
        public List<string> Policies { get; } = [];
    }

    private async Task HandleAdminAsync(HttpContext ctx, string route, Dictionary<string, string> query, byte[] body)
    {
        var method = ctx.Request.Method;
        switch (method, route)
        {
            case ("PUT", "add-user"):
            {
                var accessKey = query.GetValueOrDefault("accessKey") ?? "";
                if (accessKey.Length < 3 || accessKey == RootAccessKey)
                {
                    await AdminError(ctx, 400, "XMinioAdminInvalidArgument", "Invalid arguments specified.").ConfigureAwait(false);
                    return;
                }
                if (!TryDecrypt(body, out var plain))
                {
                    await AdminError(ctx, 400, "XMinioAdminConfigBadJSON", "Unable to decrypt the request body.").ConfigureAwait(false);
                    return;
                }
                var json = JsonNode.Parse(plain)!;
                var secret = (string?)json["secretKey"] ?? "";
                if (secret.Length < 8)
                {
                    await AdminError(ctx, 400, "XMinioAdminInvalidSecretKey", "Secret key must be at least 8 characters.").ConfigureAwait(false);
                    return;
                }
                lock (_gate)
                {
                    if (_users.TryGetValue(accessKey, out var existing))
                        existing.SecretKey = secret;
                    else
                        _users[accessKey] = new User(secret);
                    _users[accessKey].Enabled = (string?)json["status"] != "disabled";
                }
                return;
            }
            case ("DELETE", "remove-user"):
            {
                bool removed;
                lock (_gate)
                    removed = _users.Remove(query.GetValueOrDefault("accessKey") ?? "");
                if (!removed)
                    await AdminError(ctx, 404, "XMinioAdminNoSuchUser", "The specified user does not exist").ConfigureAwait(false);
                return;
            }
            case ("GET", "user-info"):
            {
                JsonObject? info = null;
                lock (_gate)
                {
                    if (_users.TryGetValue(query.GetValueOrDefault("accessKey") ?? "", out var user))
                        info = UserJson(user);
                }
                if (info is null)
                    await AdminError(ctx, 404, "XMinioAdminNoSuchUser", "The specified user does not exist").ConfigureAwait(false);
                else
                    await Raw(ctx, 200, "application/json", Encoding.UTF8.GetBytes(info.ToJsonString())).ConfigureAwait(false);
                return;
            }
            case ("GET", "list-users"):
            {
                var all = new JsonObject();
                lock (_gate)
                {
                    foreach (var (name, user) in _users)
                        all[name] = UserJson(user);
                }
                await Raw(ctx, 200, "application/octet-stream", MadminCrypto.Encrypt(RootSecretKey, Encoding.UTF8.GetBytes(all.ToJsonString()))).ConfigureAwait(false);
                return;
            }
            case ("PUT", "add-canned-policy"):
            {
                var name = query.GetValueOrDefault("name") ?? "";
                JsonNode? doc;
                try
                {
                    doc = JsonNode.Parse(body);
                }
                catch (JsonException)
                {
                    doc = null;
                }
                if (name.Length == 0 || doc is not JsonObject o || (string?)o["Version"] is not { Length: > 0 } || o["Statement"] is null)
                {
                    await AdminError(ctx, 400, "XMinioMalformedIAMPolicy", "policy has missing Version or Statement").ConfigureAwait(false);
                    return;
                }
                lock (_gate)
                    _policies[name] = Encoding.UTF8.GetString(body);
                return;
            }
            case ("GET", "info-canned-policy"):
            {
                string? doc;
                lock (_gate)
                    doc = _policies.GetValueOrDefault(query.GetValueOrDefault("name") ?? "");
                if (doc is null)
                    await AdminError(ctx, 404, "XMinioAdminNoSuchPolicy", "The canned policy does not exist").ConfigureAwait(false);
                else
                    await Raw(ctx, 200, "application/json", Encoding.UTF8.GetBytes(doc)).ConfigureAwait(false);
                return;
            }
            case ("DELETE", "remove-canned-policy"):
            {
                var name = query.GetValueOrDefault("name") ?? "";
                (int Status, string Code, string Message)? error = null;
                lock (_gate)
                {
                    if (!_policies.ContainsKey(name))
                        error = (404, "XMinioAdminNoSuchPolicy", "The canned policy does not exist");
                    else if (_users.Values.Any(u => u.Policies.Contains(name)))
                        error = (400, "XMinioIAMPolicyInUse", "The policy cannot be removed, as it is in use");
                    else
                        _policies.Remove(name);
                }
                if (error is { } e)
                    await AdminError(ctx, e.Status, e.Code, e.Message).ConfigureAwait(false);
                return;
            }
            case ("POST", "idp/builtin/policy/attach"):
            case ("POST", "idp/builtin/policy/detach"):
            {
                if (!TryDecrypt(body, out var plain))
                {
                    await AdminError(ctx, 400, "XMinioAdminConfigBadJSON", "Unable to decrypt the request body.").ConfigureAwait(false);
                    return;
                }
                var json = JsonNode.Parse(plain)!;
                var userName = (string?)json["user"] ?? "";
                var names = (json["policies"] as JsonArray)?.Select(n => (string?)n ?? "").ToList() ?? [];
                var attach = route.EndsWith("attach", StringComparison.Ordinal);
                (int Status, string Code, string Message)? error = null;
                var changed = new List<string>();
                lock (_gate)
                {
                    if (!_users.TryGetValue(userName, out var user))
                        error = (404, "XMinioAdminNoSuchUser", "The specified user does not exist");
                    else if (names.Count == 0)
                        error = (400, "XMinioAdminInvalidArgument", "no policies given");
                    else if (attach && names.FirstOrDefault(p => !_policies.ContainsKey(p)) is { } missing)
                        error = (404, "XMinioAdminNoSuchPolicy", "The canned policy does not exist");
                    else
                    {
                        foreach (var p in names)
                        {
                            if (attach && !user.Policies.Contains(p))
                            {
                                user.Policies.Add(p);
                                changed.Add(p);
                            }
                            else if (!attach && user.Policies.Remove(p))
                            {
                                changed.Add(p);
                            }
                        }
                        if (changed.Count == 0)
                            error = (400, "XMinioAdminPolicyChangeAlreadyApplied", "The specified policy change is already in effect.");
                    }
                }
                if (error is { } e)
                {
                    await AdminError(ctx, e.Status, e.Code, e.Message).ConfigureAwait(false);
                    return;
                }
                var response = new JsonObject { [attach ? "policiesAttached" : "policiesDetached"] = new JsonArray(changed.Select(c => (JsonNode?)c).ToArray()) };
                await Raw(ctx, 200, "application/octet-stream", MadminCrypto.Encrypt(RootSecretKey, Encoding.UTF8.GetBytes(response.ToJsonString()))).ConfigureAwait(false);
                return;
            }
            default:
                await AdminError(ctx, 501, "NotImplemented", "This admin API is not emulated by the stand-in.").ConfigureAwait(false);
                return;
        }
    }

    private static JsonObject UserJson(User user) => new()
    {
        ["policyName"] = string.Join(',', user.Policies),
        ["status"] = user.Enabled ? "enabled" : "disabled",
    };

    private bool TryDecrypt(byte[] body, out byte[] plain)
    {
        try
        {
            plain = MadminCrypto.Decrypt(RootSecretKey, body);
            return true;
        }
        catch (CryptographicException)
        {
            plain = [];
            return false;
        }
    }

    // ------------------------------------------------------------------ responses

    private async Task S3Error(HttpContext ctx, int status, string code, string message, string resource, bool head = false)
    {
        ctx.Response.StatusCode = status;
        ctx.Response.Headers["x-amz-request-id"] = RequestId();
        if (head)
            return;
        var trimmed = resource.TrimStart('/');
        var slash = trimmed.IndexOf('/');
        var doc = new XElement("Error",
            new XElement("Code", code),
            new XElement("Message", message),
            new XElement("Key", slash < 0 ? "" : trimmed[(slash + 1)..]),
            new XElement("BucketName", slash < 0 ? trimmed : trimmed[..slash]),
            new XElement("Resource", resource),
            new XElement("RequestId", RequestId()),
            new XElement("HostId", "standin"));
        await Raw(ctx, status, "application/xml", Encoding.UTF8.GetBytes("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" + doc.ToString(SaveOptions.DisableFormatting))).ConfigureAwait(false);
    }

    private static Task AdminError(HttpContext ctx, int status, string code, string message) =>
        Raw(ctx, status, "application/json", JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, string>
        {
            ["Code"] = code,
            ["Message"] = message,
            ["Resource"] = ctx.Request.Path,
            ["RequestId"] = "standin",
        }));

    private static Task Xml(HttpContext ctx, int status, XElement doc) =>
        Raw(ctx, status, "application/xml", Encoding.UTF8.GetBytes("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" + doc.ToString(SaveOptions.DisableFormatting)));

    private static async Task Raw(HttpContext ctx, int status, string contentType, byte[] data)
    {
        ctx.Response.StatusCode = status;
        ctx.Response.ContentType = contentType;
        ctx.Response.ContentLength = data.Length;
        await ctx.Response.Body.WriteAsync(data).ConfigureAwait(false);
    }

    private string RequestId() => Interlocked.Increment(ref _requestId).ToString("X16", CultureInfo.InvariantCulture);

    private static string Iso(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    private static string Quote(string etag) => "\"" + etag + "\"";
}
