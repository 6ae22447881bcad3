namespace RunbookHost.Stores.Minio;

/// <summary>
/// Where the MinIO server is and the root (admin) credential used to provision tenants.
/// Binds from `RUNBOOKHOST_Minio__Endpoint`, `RUNBOOKHOST_Minio__AccessKey`, `RUNBOOKHOST_Minio__SecretKey`,
/// `RUNBOOKHOST_Minio__Enabled`, `RUNBOOKHOST_Minio__Region`, `RUNBOOKHOST_Minio__SseKmsKeyId`.
/// </summary>
public sealed class MinioSettings
{
    /// <summary>Base URL of the S3 API, e.g. `http://127.0.0.1:9000`. Empty = store not configured.</summary>
    public string Endpoint { get; set; } = "";

    /// <summary>Root (or admin-policy) access key: it signs admin API calls and S3 calls made for provisioning.</summary>
    public string AccessKey { get; set; } = "";

    /// <summary>Secret of <see cref="AccessKey"/>; also the password of madmin-encrypted admin bodies. Never logged.</summary>
    public string SecretKey { get; set; } = "";

    public bool Enabled { get; set; } = true;

    /// <summary>Signing region; empty matches a MinIO server without a configured region.</summary>
    public string Region { get; set; } = "";

    /// <summary>When set, tenant buckets default to SSE-KMS with this key id instead of SSE-S3.</summary>
    public string? SseKmsKeyId { get; set; }

    /// <summary>True when an endpoint and a root credential are present.</summary>
    public bool IsConfigured =>
        !string.IsNullOrWhiteSpace(Endpoint) && !string.IsNullOrEmpty(AccessKey) && !string.IsNullOrEmpty(SecretKey);

    /// <summary>The endpoint as an absolute http(s) URI; throws naming the setting when it is not one.</summary>
    public Uri EndpointUri()
    {
        if (!Uri.TryCreate(Endpoint, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
            throw new InvalidOperationException("Minio:Endpoint must be an absolute http:// or https:// URL, e.g. http://127.0.0.1:9000");
        return uri;
    }

    /// <summary>The region used to sign S3 SDK calls: MinIO accepts any region when none is configured.</summary>
    internal string SdkRegion => string.IsNullOrEmpty(Region) ? "us-east-1" : Region;
}
