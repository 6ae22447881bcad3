using System.Security.Cryptography;
using Minio;
using RunbookHost.Evidence;
using RunbookHost.Tenants;

namespace RunbookHost.Stores.Minio;

/// <summary>What exists in MinIO for one tenant.</summary>
public sealed record MinioTenantState(bool BucketExists, bool UserExists, bool PolicyExists, IReadOnlyList<string> AttachedPolicies)
{
    public bool NothingRemains => !BucketExists && !UserExists && !PolicyExists;
}

/// <summary>
/// A tenant's MinIO footprint (spec §2): bucket <c>tenant-&lt;id&gt;-bucket</c> with default encryption and the
/// §2.3 prefixes, IAM user <c>tenant-&lt;id&gt;-access</c>, canned policy <c>tenant-&lt;id&gt;-policy</c> (§2.2 allows +
/// explicit Deny outside the bucket) attached to the user. Provision/deprovision are plans of idempotent steps that
/// can be described without connecting (dry run) and resumed after a failure.
/// </summary>
public sealed partial class MinioTenantStore : IDisposable
{
    public const string StoreName = "minio";

    /// <summary>The §2.3 bucket structure, created as zero-byte "folder/" objects.</summary>
    public static readonly IReadOnlyList<string> Prefixes = ["raw/", "parsed/", "receipts/", "exports/"];

    private readonly MinioSettings _settings;
    private readonly TimeProvider _time;
    private readonly Lazy<MinioAdminClient> _admin;
    private readonly Lazy<IMinioClient> _root;

    /// <summary>Creates the store; nothing connects until a plan is applied or a query runs.</summary>
    public MinioTenantStore(MinioSettings settings, TimeProvider? time = null, HttpClient? adminHttp = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        _settings = settings;
        _time = time ?? TimeProvider.System;
        _admin = new Lazy<MinioAdminClient>(() => new MinioAdminClient(settings, adminHttp, _time));
        _root = new Lazy<IMinioClient>(() => CreateClient(settings.AccessKey, settings.SecretKey));
    }

    public MinioAdminClient Admin => _admin.Value;

    /// <summary>A fresh tenant secret: 30 random bytes as 40 base64 characters (within every MinIO length limit).</summary>
    public static string GenerateSecretKey() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(30));

    public static MinioTenantNames Names(TenantId tenant) => MinioTenantNames.For(tenant);

    /// <summary>Bucket, default encryption, prefixes, user (with <paramref name="secretKey"/>), policy, attach.</summary>
    public MinioPlan PlanProvision(TenantId tenant, string secretKey)
    {
        var n = Names(tenant);
        RequireSecret(secretKey);
        var policy = MinioTenantPolicy.Document(tenant);
        var kms = !string.IsNullOrEmpty(_settings.SseKmsKeyId);
        var encryptionText = kms ? $"SSE-KMS (aws:kms, KMSMasterKeyID={_settings.SseKmsKeyId})" : "SSE-S3 (AES256)";
        return new MinioPlan($"minio provision {tenant}",
        [
            new MinioStep("bucket",
            [
                $"S3 HEAD /{n.Bucket} (BucketExists)",
                $"S3 PUT /{n.Bucket} (MakeBucket) when absent",
            ], ct => EnsureBucketAsync(n.Bucket, ct)),
            new MinioStep("encryption",
            [
                $"S3 PUT /{n.Bucket}?encryption (SetBucketEncryption {encryptionText})",
            ], ct => SetEncryptionAsync(n.Bucket, ct)),
            new MinioStep("prefixes", Prefixes.Select(p => $"S3 PUT /{n.Bucket}/{p} (zero-byte object)").ToList(),
                ct => CreatePrefixesAsync(n.Bucket, ct)),
            new MinioStep("user",
            [
                MinioAdminClient.DescribeCall("PUT", "add-user", $"accessKey={n.User}", "madmin-encrypted {\"secretKey\":\"***\",\"status\":\"enabled\"}"),
            ], ct => Admin.AddUserAsync(n.User, secretKey, ct)),
            new MinioStep("policy",
            [
                MinioAdminClient.DescribeCall("PUT", "add-canned-policy", $"name={n.Policy}", policy),
            ], ct => Admin.AddCannedPolicyAsync(n.Policy, policy, ct)),
            new MinioStep("attach",
            [
                MinioAdminClient.DescribeCall("POST", "idp/builtin/policy/attach", null, $"madmin-encrypted {{\"policies\":[\"{n.Policy}\"],\"user\":\"{n.User}\"}} (XMinioAdminPolicyChangeAlreadyApplied = already attached)"),
            ], ct => Admin.AttachPolicyAsync(n.User, n.Policy, ct)),
        ]);
    }

    public Task ProvisionAsync(TenantId tenant, string secretKey, CancellationToken ct) => PlanProvision(tenant, secretKey).ApplyAsync(ct);

    /// <summary>Replaces the tenant user's secret (add-user is an upsert); the old secret stops working at once.</summary>
    public MinioPlan PlanRotateSecret(TenantId tenant, string newSecretKey)
    {
        var n = Names(tenant);
        RequireSecret(newSecretKey);
        return new MinioPlan($"minio rotate-secret {tenant}",
        [
            new MinioStep("user-exists", [MinioAdminClient.DescribeCall("GET", "user-info", $"accessKey={n.User}", null)], async ct =>
            {
                if (await Admin.GetUserInfoAsync(n.User, ct).ConfigureAwait(false) is null)
                    throw new MinioStoreException($"cannot rotate the secret of {n.User}: the user does not exist (provision the tenant first)");
            }),
            new MinioStep("user",
            [
                MinioAdminClient.DescribeCall("PUT", "add-user", $"accessKey={n.User}", "madmin-encrypted {\"secretKey\":\"***\",\"status\":\"enabled\"}"),
            ], ct => Admin.AddUserAsync(n.User, newSecretKey, ct)),
        ]);
    }

    public Task RotateSecretAsync(TenantId tenant, string newSecretKey, CancellationToken ct) => PlanRotateSecret(tenant, newSecretKey).ApplyAsync(ct);

    /// <summary>§2.5: every object version, the bucket, the attachment, the user, the policy. Absent = done.</summary>
    public MinioPlan PlanDeprovision(TenantId tenant)
    {
        var n = Names(tenant);
        return new MinioPlan($"minio deprovision {tenant}",
        [
            new MinioStep("objects",
            [
                $"S3 HEAD /{n.Bucket} (BucketExists; absent = nothing to do)",
                $"S3 GET /{n.Bucket}?versions (ListObjectVersions, recursive, all pages)",
                $"S3 DELETE /{n.Bucket}/<key>?versionId=<id> for every version",
            ], ct => EmptyBucketAsync(n.Bucket, ct)),
            new MinioStep("bucket", [$"S3 DELETE /{n.Bucket} (RemoveBucket; NoSuchBucket = done)"], ct => RemoveBucketAsync(n.Bucket, ct)),
            new MinioStep("detach",
            [
                MinioAdminClient.DescribeCall("GET", "user-info", $"accessKey={n.User}", null) + " (no such user, or policy not attached = done)",
                MinioAdminClient.DescribeCall("POST", "idp/builtin/policy/detach", null, $"madmin-encrypted {{\"policies\":[\"{n.Policy}\"],\"user\":\"{n.User}\"}}"),
            ], ct => DetachIfAttachedAsync(n.User, n.Policy, ct)),
            new MinioStep("user", [MinioAdminClient.DescribeCall("DELETE", "remove-user", $"accessKey={n.User}", null) + " (XMinioAdminNoSuchUser = done)"],
                ct => IgnoreAbsent(() => Admin.RemoveUserAsync(n.User, ct))),
            new MinioStep("policy", [MinioAdminClient.DescribeCall("DELETE", "remove-canned-policy", $"name={n.Policy}", null) + " (absent: MinIO answers 200)"],
                ct => IgnoreAbsent(() => Admin.RemoveCannedPolicyAsync(n.Policy, ct))),
        ]);
    }

    public Task DeprovisionAsync(TenantId tenant, CancellationToken ct) => PlanDeprovision(tenant).ApplyAsync(ct);

    /// <summary>What exists for the tenant, asked with the root credential.</summary>
    public async Task<MinioTenantState> GetStateAsync(TenantId tenant, CancellationToken ct)
    {
        var n = Names(tenant);
        var bucket = await BucketExistsAsync(n.Bucket, ct).ConfigureAwait(false);
        var user = await Admin.GetUserInfoAsync(n.User, ct).ConfigureAwait(false);
        var policy = await Admin.GetCannedPolicyAsync(n.Policy, ct).ConfigureAwait(false);
        return new MinioTenantState(bucket, user is not null, policy is not null, user?.Policies ?? []);
    }

    private IMinioClient CreateClient(string accessKey, string secretKey)
    {
        var uri = _settings.EndpointUri();
        return new MinioClient()
            .WithEndpoint(uri.Host, uri.Port)
            .WithCredentials(accessKey, secretKey)
            .WithRegion(_settings.SdkRegion)
            .WithSSL(uri.Scheme == Uri.UriSchemeHttps)
            .Build();
    }

    private CheckRecord Check(string test, string result, bool pass, string detail) =>
        new(StoreName, test, result, _time.GetUtcNow(), pass, detail);

    private static void RequireSecret(string secretKey)
    {
        if (string.IsNullOrEmpty(secretKey) || secretKey.Length < 8 || secretKey.Any(char.IsControl))
            throw new ArgumentException("a MinIO secret key has at least 8 characters and no control characters", nameof(secretKey));
    }

    private static async Task IgnoreAbsent(Func<Task> action)
    {
        try
        {
            await action().ConfigureAwait(false);
        }
        catch (MinioAdminException e) when (e.IsNotFound)
        {
            // Absent = already done.
        }
        catch (Exception e) when (IsSdkError(e) && CodeOf(e) is "NoSuchKey" or "NoSuchBucket" or "NoSuchVersion")
        {
            // Absent = already done.
        }
    }

    public void Dispose()
    {
        if (_admin.IsValueCreated)
            _admin.Value.Dispose();
        if (_root.IsValueCreated)
            _root.Value.Dispose();
    }
}
