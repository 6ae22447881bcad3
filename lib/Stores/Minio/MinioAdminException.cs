using System.Net;

namespace RunbookHost.Stores.Minio;

/// <summary>
/// A MinIO admin or S3 call that the server refused, typed by the server's error code
/// (e.g. <c>XMinioAdminNoSuchUser</c>). Messages name the operation and never carry secrets.
/// </summary>
public class MinioStoreException(string message, Exception? inner = null) : Exception(message, inner);

public sealed class MinioAdminException(string operation, HttpStatusCode status, string code, string serverMessage)
    : MinioStoreException($"MinIO admin {operation} failed: HTTP {(int)status} {code}{(serverMessage.Length > 0 ? ": " + serverMessage : "")}")
{
    public const string NoSuchUser = "XMinioAdminNoSuchUser";
    public const string NoSuchPolicy = "XMinioAdminNoSuchPolicy";
    public const string PolicyChangeAlreadyApplied = "XMinioAdminPolicyChangeAlreadyApplied";
    public const string PolicyInUse = "XMinioIAMPolicyInUse";

    public string Operation { get; } = operation;
    public HttpStatusCode Status { get; } = status;

    /// <summary>The server's error code (<c>Code</c> of its JSON error body), or <c>HTTP{status}</c> when the body had none.</summary>
    public string Code { get; } = code;

    public bool IsNotFound => Code is NoSuchUser or NoSuchPolicy || Status == HttpStatusCode.NotFound;
}

/// <summary>The server cannot set default bucket encryption because it has no KMS (HTTP 501 NotImplemented).</summary>
public sealed class MinioEncryptionNotConfiguredException(string bucket, Exception inner)
    : MinioStoreException(
        $"MinIO refused default encryption for bucket {bucket} with 501 NotImplemented: the server has no KMS. " +
        "Configure MINIO_KMS_SECRET_KEY (single static key) or KES (MINIO_KMS_KES_ENDPOINT and friends) on the MinIO server, restart it, and re-run the provisioning (it resumes).",
        inner)
{
    public string Bucket { get; } = bucket;
}
