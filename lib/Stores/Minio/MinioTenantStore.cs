using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Minio;
using Minio.DataModel.Args;
using Minio.Exceptions;
using RunbookHost.Evidence;
using RunbookHost.Tenants;

namespace RunbookHost.Stores.Minio;

/// <summary>What exists in MinIO for one tenant.</summary>
public sealed record MinioTenantState(bool BucketExists, bool UserExists, bool PolicyExists, IReadOnlyList<string> AttachedPolicies)
{
    public bool NothingRemains => !BucketExists && !UserExists && !PolicyExists;
}

/// <summary>Fleet-wide proof: every tenant user's attached policies allow only its own bucket.</summary>
public sealed record MinioFleetReport(int TenantUsers, int PairsChecked, int PairsDenied, IReadOnlyList<string> Problems, CheckRecord Check)
{
    public bool Pass => Problems.Count == 0 && PairsChecked == PairsDenied;
}

/// <summary>
/// A tenant's MinIO footprint (spec §2): bucket <c>tenant-&lt;id&gt;-bucket</c> with default encryption and the
/// §2.3 prefixes, IAM user <c>tenant-&lt;id&gt;-access</c>, canned policy <c>tenant-&lt;id&gt;-policy</c> (§2.2 allows +
/// explicit Deny outside the bucket) attached to the user. Provision/deprovision are plans of idempotent steps that
/// can be described without connecting (dry run) and resumed after a failure.
/// </summary>
public sealed class MinioTenantStore : IDisposable
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

    // ---------------------------------------------------------------- provision

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

    // ---------------------------------------------------------------- deprovision

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
            new MinioStep("policy", [MinioAdminClient.DescribeCall("DELETE", "remove-canned-policy", $"name={n.Policy}", null) + " (XMinioAdminNoSuchPolicy = done)"],
                ct => IgnoreAbsent(() => Admin.RemoveCannedPolicyAsync(n.Policy, ct))),
        ]);
    }

    public Task DeprovisionAsync(TenantId tenant, CancellationToken ct) => PlanDeprovision(tenant).ApplyAsync(ct);

    // ---------------------------------------------------------------- state

    /// <summary>What exists for the tenant, asked with the root credential.</summary>
    public async Task<MinioTenantState> GetStateAsync(TenantId tenant, CancellationToken ct)
    {
        var n = Names(tenant);
        var bucket = await BucketExistsAsync(n.Bucket, ct).ConfigureAwait(false);
        var user = await Admin.GetUserInfoAsync(n.User, ct).ConfigureAwait(false);
        var policy = await Admin.GetCannedPolicyAsync(n.Policy, ct).ConfigureAwait(false);
        return new MinioTenantState(bucket, user is not null, policy is not null, user?.Policies ?? []);
    }

    // ---------------------------------------------------------------- verification

    /// <summary>
    /// §2.4 with the tenant's own credential: it lists only its bucket, can put/get in it (ALLOWED), cannot list/get/put
    /// in <paramref name="otherTenant"/>'s bucket (DENIED), and user-info shows its policy. One <see cref="CheckRecord"/> per test.
    /// </summary>
    public async Task<IReadOnlyList<CheckRecord>> VerifyAsync(TenantId tenant, string secretKey, TenantId otherTenant, CancellationToken ct)
    {
        var n = Names(tenant);
        var other = Names(otherTenant);
        if (n.Bucket == other.Bucket)
            throw new ArgumentException("the cross-tenant probe needs a different tenant", nameof(otherTenant));
        var checks = new List<CheckRecord>();
        using var client = CreateClient(n.User, secretKey);

        // 1. ListBuckets shows only its own bucket.
        try
        {
            var result = await client.ListBucketsAsync(ct).ConfigureAwait(false);
            var names = result.Buckets.Select(b => b.Name).ToList();
            var only = names.Count == 1 && names[0] == n.Bucket;
            checks.Add(Check("list_buckets_only_own", only ? "PASS" : "FAIL", only,
                only ? $"sees only {n.Bucket}" : $"sees {names.Count} bucket(s){(names.Contains(n.Bucket) ? " including its own" : ", not its own")}"));
        }
        catch (Exception e) when (IsSdkError(e))
        {
            checks.Add(Check("list_buckets_only_own", "FAIL", false, Describe(e)));
        }

        // 2. Put/get/delete in its own bucket.
        var probeKey = $"receipts/.isolation-probe-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8))}";
        var probe = Encoding.UTF8.GetBytes("runbook-host isolation probe");
        try
        {
            await PutAsync(client, n.Bucket, probeKey, probe, ct).ConfigureAwait(false);
            var back = await GetAsync(client, n.Bucket, probeKey, ct).ConfigureAwait(false);
            await client.RemoveObjectAsync(new RemoveObjectArgs().WithBucket(n.Bucket).WithObject(probeKey), ct).ConfigureAwait(false);
            var same = back.AsSpan().SequenceEqual(probe);
            checks.Add(Check("own_bucket_put_get", same ? "ALLOWED" : "FAIL", same, same ? $"put/get/delete {n.Bucket}/{probeKey}" : "read back different bytes"));
        }
        catch (Exception e) when (IsSdkError(e))
        {
            checks.Add(Check("own_bucket_put_get", IsAccessDenied(e) ? "DENIED" : "ERROR", false, Describe(e)));
        }

        // 3. Cross-tenant list / get / put: must be AccessDenied (anything else, including success, fails).
        await CrossAsync("cross_tenant_list", async () =>
        {
            await foreach (var _ in client.ListObjectsEnumAsync(new ListObjectsArgs().WithBucket(other.Bucket).WithRecursive(true), ct).ConfigureAwait(false))
                break;
        }).ConfigureAwait(false);
        await CrossAsync("cross_tenant_get", () => GetAsync(client, other.Bucket, "raw/.isolation-probe", ct)).ConfigureAwait(false);
        var crossKey = $"raw/.isolation-probe-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8))}";
        var wrote = await CrossAsync("cross_tenant_put", () => PutAsync(client, other.Bucket, crossKey, probe, ct)).ConfigureAwait(false);
        if (wrote)
            await IgnoreAbsent(() => _root.Value.RemoveObjectAsync(new RemoveObjectArgs().WithBucket(other.Bucket).WithObject(crossKey), ct)).ConfigureAwait(false);

        // 4. user-info shows the policy (admin view).
        try
        {
            var info = await Admin.GetUserInfoAsync(n.User, ct).ConfigureAwait(false);
            var attached = info is not null && info.Policies.Contains(n.Policy) && info.Status == "enabled";
            checks.Add(Check("policy_attached", attached ? "PASS" : "FAIL", attached,
                info is null ? $"{n.User} does not exist" : $"status={info.Status} policies=[{string.Join(",", info.Policies)}]"));
        }
        catch (MinioStoreException e)
        {
            checks.Add(Check("policy_attached", "FAIL", false, e.Message));
        }
        return checks;

        async Task<bool> CrossAsync(string test, Func<Task> attempt)
        {
            try
            {
                await attempt().ConfigureAwait(false);
                checks.Add(Check(test, "ALLOWED", false, $"{n.User} reached {other.Bucket}"));
                return true;
            }
            catch (Exception e) when (IsSdkError(e) && IsAccessDenied(e))
            {
                checks.Add(Check(test, "DENIED", true, $"{n.User} -> {other.Bucket}: AccessDenied"));
            }
            catch (Exception e) when (IsSdkError(e))
            {
                checks.Add(Check(test, "ERROR", false, $"{n.User} -> {other.Bucket}: {Describe(e)}"));
            }
            return false;
        }
    }

    /// <summary>
    /// Fleet-wide proof from the admin view: list-users, each tenant user's attached policies fetched and evaluated.
    /// For every (tenant user, other tenant bucket) pair, ListBucket/GetObject/PutObject/DeleteObject must all be denied,
    /// and each user's policies must be confined to its own bucket ARN.
    /// </summary>
    public async Task<MinioFleetReport> VerifyFleetAsync(CancellationToken ct)
    {
        var users = await Admin.ListUsersAsync(ct).ConfigureAwait(false);
        var tenants = new Dictionary<TenantId, MinioUserInfo>();
        foreach (var (name, info) in users)
        {
            if (name.StartsWith("tenant-", StringComparison.Ordinal) && name.EndsWith("-access", StringComparison.Ordinal)
                && TenantId.TryParse(name["tenant-".Length..^"-access".Length], out var id, out _))
                tenants[id] = info;
        }
        var buckets = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var b in (await _root.Value.ListBucketsAsync(ct).ConfigureAwait(false)).Buckets)
            buckets.Add(b.Name);
        foreach (var id in tenants.Keys)
            buckets.Add(Names(id).Bucket);

        var documents = new Dictionary<string, string?>(StringComparer.Ordinal);
        var problems = new List<string>();
        int pairs = 0, denied = 0;
        foreach (var (id, info) in tenants.OrderBy(t => t.Key.Value, StringComparer.Ordinal))
        {
            var n = Names(id);
            var statements = new JsonArray();
            foreach (var p in info.Policies)
            {
                if (!documents.TryGetValue(p, out var doc))
                    documents[p] = doc = await Admin.GetCannedPolicyAsync(p, ct).ConfigureAwait(false);
                if (doc is null)
                {
                    problems.Add($"{n.User}: attached policy {p} does not exist");
                    continue;
                }
                if (JsonNode.Parse(doc)?["Statement"] is JsonNode s)
                {
                    foreach (var st in s is JsonArray a ? a.ToList() : [s])
                        statements.Add(st?.DeepClone());
                }
            }
            var merged = new JsonObject { ["Version"] = "2012-10-17", ["Statement"] = statements }.ToJsonString();
            if (!info.Policies.Contains(n.Policy))
                problems.Add($"{n.User}: {n.Policy} is not attached");
            foreach (var problem in MinioTenantPolicy.ConfinementProblems(merged, id))
                problems.Add($"{n.User}: {problem}");
            foreach (var bucket in buckets.Where(b => b != n.Bucket))
            {
                pairs++;
                var arn = "arn:aws:s3:::" + bucket;
                var anyAllowed = MinioTenantPolicy.IsAllowed(merged, "s3:ListBucket", arn)
                    || MinioTenantPolicy.IsAllowed(merged, "s3:GetObject", arn + "/raw/x")
                    || MinioTenantPolicy.IsAllowed(merged, "s3:PutObject", arn + "/raw/x")
                    || MinioTenantPolicy.IsAllowed(merged, "s3:DeleteObject", arn + "/raw/x");
                if (anyAllowed)
                    problems.Add($"{n.User}: policy allows access to {bucket}");
                else
                    denied++;
            }
        }
        var pass = problems.Count == 0 && pairs == denied;
        var check = Check("fleet_policy_confinement", pass ? "PASS" : "FAIL", pass,
            $"{tenants.Count} tenant user(s), {pairs} cross pair(s) checked, {denied} denied{(problems.Count > 0 ? "; " + string.Join("; ", problems) : "")}");
        return new MinioFleetReport(tenants.Count, pairs, denied, problems, check);
    }

    // ---------------------------------------------------------------- steps

    private async Task EnsureBucketAsync(string bucket, CancellationToken ct)
    {
        if (await BucketExistsAsync(bucket, ct).ConfigureAwait(false))
            return;
        try
        {
            await _root.Value.MakeBucketAsync(new MakeBucketArgs().WithBucket(bucket), ct).ConfigureAwait(false);
        }
        catch (Exception e) when (IsSdkError(e) && CodeOf(e) is "BucketAlreadyOwnedByYou")
        {
            // Created concurrently by us: fine.
        }
        catch (Exception e) when (IsSdkError(e))
        {
            throw new MinioStoreException($"MinIO MakeBucket {bucket} failed: {Describe(e)}", e);
        }
    }

    private async Task SetEncryptionAsync(string bucket, CancellationToken ct)
    {
        var args = new SetBucketEncryptionArgs().WithBucket(bucket);
        args = string.IsNullOrEmpty(_settings.SseKmsKeyId) ? args.WithAESConfig() : args.WithKMSConfig(_settings.SseKmsKeyId);
        try
        {
            await _root.Value.SetBucketEncryptionAsync(args, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (IsSdkError(e) && IsNotImplemented(e))
        {
            throw new MinioEncryptionNotConfiguredException(bucket, e);
        }
        catch (Exception e) when (IsSdkError(e))
        {
            throw new MinioStoreException($"MinIO SetBucketEncryption {bucket} failed: {Describe(e)}", e);
        }
    }

    private async Task CreatePrefixesAsync(string bucket, CancellationToken ct)
    {
        foreach (var prefix in Prefixes)
        {
            try
            {
                await PutAsync(_root.Value, bucket, prefix, [], ct).ConfigureAwait(false);
            }
            catch (Exception e) when (IsSdkError(e))
            {
                throw new MinioStoreException($"MinIO PutObject {bucket}/{prefix} failed: {Describe(e)}", e);
            }
        }
    }

    private async Task EmptyBucketAsync(string bucket, CancellationToken ct)
    {
        for (var pass = 0; pass < 5; pass++)
        {
            if (!await BucketExistsAsync(bucket, ct).ConfigureAwait(false))
                return;
            var versions = new List<(string Key, string? VersionId)>();
            try
            {
                var args = new ListObjectsArgs().WithBucket(bucket).WithRecursive(true).WithVersions(true);
                await foreach (var item in _root.Value.ListObjectsEnumAsync(args, ct).ConfigureAwait(false))
                    versions.Add((item.Key, item.VersionId));
            }
            catch (Exception e) when (IsSdkError(e) && CodeOf(e) is "NoSuchBucket")
            {
                return;
            }
            if (versions.Count == 0)
                return;
            foreach (var (key, versionId) in versions)
            {
                var remove = new RemoveObjectArgs().WithBucket(bucket).WithObject(key);
                if (!string.IsNullOrEmpty(versionId))
                    remove = remove.WithVersionId(versionId);
                await IgnoreAbsent(() => _root.Value.RemoveObjectAsync(remove, ct)).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Asks first, so that deprovisioning never depends on the server's error for an absent user or policy.</summary>
    private async Task DetachIfAttachedAsync(string user, string policy, CancellationToken ct)
    {
        var info = await Admin.GetUserInfoAsync(user, ct).ConfigureAwait(false);
        if (info is null || !info.Policies.Contains(policy))
            return;
        await IgnoreAbsent(() => Admin.DetachPolicyAsync(user, policy, ct)).ConfigureAwait(false);
    }

    private async Task RemoveBucketAsync(string bucket, CancellationToken ct)
    {
        // Checked first: Minio SDK 7.0.0 can fail while building its NoSuchBucket exception.
        if (!await BucketExistsAsync(bucket, ct).ConfigureAwait(false))
            return;
        try
        {
            await _root.Value.RemoveBucketAsync(new RemoveBucketArgs().WithBucket(bucket), ct).ConfigureAwait(false);
        }
        catch (Exception e) when (IsSdkError(e) && CodeOf(e) is "NoSuchBucket")
        {
            // Already gone.
        }
        catch (Exception e) when (IsSdkError(e) && CodeOf(e) is "BucketNotEmpty")
        {
            throw new MinioStoreException($"MinIO RemoveBucket {bucket}: the bucket still holds objects (delete markers, object locks or concurrent writes); re-run the deprovisioning", e);
        }
    }

    private async Task<bool> BucketExistsAsync(string bucket, CancellationToken ct)
    {
        try
        {
            return await _root.Value.BucketExistsAsync(new BucketExistsArgs().WithBucket(bucket), ct).ConfigureAwait(false);
        }
        catch (BucketNotFoundException)
        {
            return false;
        }
    }

    private static async Task PutAsync(IMinioClient client, string bucket, string key, byte[] data, CancellationToken ct)
    {
        using var stream = new MemoryStream(data, writable: false);
        await client.PutObjectAsync(new PutObjectArgs()
            .WithBucket(bucket)
            .WithObject(key)
            .WithStreamData(stream)
            .WithObjectSize(data.Length)
            .WithContentType("application/octet-stream"), ct).ConfigureAwait(false);
    }

    private static async Task<byte[]> GetAsync(IMinioClient client, string bucket, string key, CancellationToken ct)
    {
        using var buffer = new MemoryStream();
        await client.GetObjectAsync(new GetObjectArgs()
            .WithBucket(bucket)
            .WithObject(key)
            .WithCallbackStream((s, token) => s.CopyToAsync(buffer, token)), ct).ConfigureAwait(false);
        return buffer.ToArray();
    }

    // ---------------------------------------------------------------- helpers

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

    /// <summary>The SDK surfaces server errors as MinioException subclasses, AuthorizationException or System.NotImplementedException.</summary>
    internal static bool IsSdkError(Exception e) => e is MinioException or AuthorizationException or NotImplementedException;

    /// <summary>The S3 error code of an SDK exception (typed, or read from the server's XML error body).</summary>
    internal static string? CodeOf(Exception e)
    {
        switch (e)
        {
            case AccessDeniedException:
                return "AccessDenied";
            case BucketNotFoundException:
                return "NoSuchBucket";
            case ObjectNotFoundException:
                return "NoSuchKey";
            case ErrorResponseException r when !string.IsNullOrEmpty(r.Response?.Code):
                return r.Response.Code;
            case AuthorizationException:
                return e.Message.Contains("signature", StringComparison.OrdinalIgnoreCase) ? "SignatureDoesNotMatch" : "AuthorizationFailed";
            case NotImplementedException:
                return "NotImplemented";
            case MinioException m:
                var content = m.ServerResponse?.Content ?? "";
                var start = content.IndexOf("<Code>", StringComparison.Ordinal);
                var end = content.IndexOf("</Code>", StringComparison.Ordinal);
                if (start >= 0 && end > start)
                    return content[(start + 6)..end];
                if (m.Message.Contains("Access Denied", StringComparison.OrdinalIgnoreCase))
                    return "AccessDenied";
                return null;
            default:
                return null;
        }
    }

    private static int? StatusOf(Exception e) => e switch
    {
        MinioException { ServerResponse: { } r } => (int)r.StatusCode,
        AuthorizationException => 403,
        NotImplementedException => 501,
        _ => null,
    };

    /// <summary>A policy denial (AccessDenied, or a bodiless 403 to a HEAD) - not a signature or credential failure.</summary>
    internal static bool IsAccessDenied(Exception e)
    {
        var code = CodeOf(e);
        return code is "AccessDenied" || (code is null && StatusOf(e) == 403);
    }

    private static bool IsNotImplemented(Exception e) => CodeOf(e) is "NotImplemented" || StatusOf(e) == 501;

    /// <summary>Error code and HTTP status only: SDK messages can embed request details.</summary>
    internal static string Describe(Exception e) =>
        $"{CodeOf(e) ?? e.GetType().Name}{(StatusOf(e) is { } s ? $" (HTTP {s})" : "")}";

    public void Dispose()
    {
        if (_admin.IsValueCreated)
            _admin.Value.Dispose();
        if (_root.IsValueCreated)
            _root.Value.Dispose();
    }
}
