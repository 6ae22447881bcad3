using System.Text;
using System.Xml.Linq;
using Microsoft.AspNetCore.Http;

namespace RunbookHost.Tests.Stores.Minio.StandIn;

/// <summary>S3 routing (every request authorized before the bucket or object is looked up) and the bucket-level calls.</summary>
public sealed partial class MinioStandIn
{
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
            // Like MinIO's ListBucketsHandler: without ListAllMyBuckets, show the buckets the caller may ListBucket or
            // GetBucketLocation; none = AccessDenied.
            visible = visible.Where(b => Allowed(caller, "s3:ListBucket", b.Name, null) || Allowed(caller, "s3:GetBucketLocation", b.Name, null)).ToList();
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
}
