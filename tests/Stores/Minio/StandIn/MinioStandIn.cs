using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Xml.Linq;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace RunbookHost.Tests.Stores.Minio.StandIn;

/// <summary>
/// In-process MinIO protocol stand-in (tests only): Kestrel on 127.0.0.1:0 speaking the part of S3 and the
/// admin API (/minio/admin/v3) that runbook-host uses, with SigV4 verification for root and IAM users,
/// madmin-encrypted admin bodies, and enforcement of attached canned policies for non-root users.
/// See README.md for what it does not emulate.
/// </summary>
public sealed partial class MinioStandIn : IAsyncDisposable
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

    /// <summary>The server's region (MINIO_REGION). Empty, like a MinIO without one, accepts any region in the scope; set, only that one.</summary>
    public string Region { get; init; } = "";
    public string Endpoint { get; private set; } = "";

    /// <summary>When true, bucket-encryption requests answer 501 NotImplemented like a MinIO without KMS.</summary>
    public bool EncryptionNotImplemented { get; set; }

    /// <summary>Requests refused with SignatureDoesNotMatch (for tests to look at).</summary>
    public int SignatureFailures;

    public static async Task<MinioStandIn> StartAsync(string rootAccessKey, string rootSecretKey, string region = "")
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var standIn = new MinioStandIn(app, rootAccessKey, rootSecretKey) { Region = region };
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
