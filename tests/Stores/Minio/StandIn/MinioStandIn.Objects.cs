using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Xml.Linq;
using Microsoft.AspNetCore.Http;

namespace RunbookHost.Tests.Stores.Minio.StandIn;

/// <summary>S3 object calls: listings, put, get, head, delete and multi-object delete.</summary>
public sealed partial class MinioStandIn
{
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
}
