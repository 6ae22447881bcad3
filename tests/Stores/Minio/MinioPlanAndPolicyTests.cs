using System.Text.Json.Nodes;
using RunbookHost.Stores.Minio;
using RunbookHost.Tenants;

namespace RunbookHost.Tests.Stores.Minio;

public sealed class MinioPlanAndPolicyTests
{
    private static readonly TenantId Tenant = TenantId.Parse("acme1");

    [Fact]
    public void A_dry_run_describes_every_provisioning_call_without_connecting_and_masks_the_secret()
    {
        // Nothing listens on port 1: describing must not connect.
        using var store = new MinioTenantStore(new MinioSettings { Endpoint = "http://127.0.0.1:1", AccessKey = "root", SecretKey = "rootsecret1" });
        const string secret = "Tenant-Secret-Value-1234";
        var plan = store.PlanProvision(Tenant, secret);
        Assert.Equal(["bucket", "encryption", "prefixes", "user", "policy", "attach"], plan.Steps.Select(s => s.Name));
        var lines = plan.Describe();
        var all = string.Join('\n', lines);
        Assert.DoesNotContain(secret, all, StringComparison.Ordinal);
        Assert.DoesNotContain("rootsecret1", all, StringComparison.Ordinal);
        Assert.Contains("[bucket] S3 PUT /tenant-acme1-bucket (MakeBucket) when absent", lines);
        Assert.Contains("[encryption] S3 PUT /tenant-acme1-bucket?encryption (SetBucketEncryption SSE-S3 (AES256))", lines);
        Assert.Contains("[prefixes] S3 PUT /tenant-acme1-bucket/receipts/ (zero-byte object)", lines);
        Assert.Contains("[user] ADMIN PUT /minio/admin/v3/add-user?accessKey=tenant-acme1-access body=madmin-encrypted {\"secretKey\":\"***\",\"status\":\"enabled\"}", lines);
        Assert.Contains(lines, l => l.StartsWith("[policy] ADMIN PUT /minio/admin/v3/add-canned-policy?name=tenant-acme1-policy body={", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("[attach] ADMIN POST /minio/admin/v3/idp/builtin/policy/attach", StringComparison.Ordinal));
    }

    [Fact]
    public void A_dry_run_describes_deprovisioning_in_the_order_objects_bucket_detach_user_policy()
    {
        using var store = new MinioTenantStore(new MinioSettings());
        var plan = store.PlanDeprovision(Tenant);
        Assert.Equal(["objects", "bucket", "detach", "user", "policy"], plan.Steps.Select(s => s.Name));
        Assert.Contains("[user] ADMIN DELETE /minio/admin/v3/remove-user?accessKey=tenant-acme1-access (XMinioAdminNoSuchUser = done)", plan.Describe());
        Assert.Contains("[policy] ADMIN DELETE /minio/admin/v3/remove-canned-policy?name=tenant-acme1-policy (absent: MinIO answers 200)", plan.Describe());
    }

    [Fact]
    public void SSE_KMS_is_described_when_a_kms_key_id_is_configured()
    {
        using var store = new MinioTenantStore(new MinioSettings { SseKmsKeyId = "tenant-key" });
        Assert.Contains("[encryption] S3 PUT /tenant-acme1-bucket?encryption (SetBucketEncryption SSE-KMS (aws:kms, KMSMasterKeyID=tenant-key))",
            store.PlanProvision(Tenant, "12345678").Describe());
    }

    [Fact]
    public void A_short_secret_is_refused_before_anything_is_planned()
    {
        using var store = new MinioTenantStore(new MinioSettings());
        Assert.Throws<ArgumentException>(() => store.PlanProvision(Tenant, "short"));
    }

    [Fact]
    public void The_tenant_policy_allows_its_own_bucket_and_explicitly_denies_everything_else()
    {
        var doc = MinioTenantPolicy.Document(Tenant);
        var statements = JsonNode.Parse(doc)!["Statement"]!.AsArray();
        var deny = statements.Single(s => (string?)s!["Effect"] == "Deny")!;
        Assert.Equal(["s3:*"], deny["Action"]!.AsArray().Select(n => (string?)n));
        Assert.Equal(["arn:aws:s3:::tenant-acme1-bucket", "arn:aws:s3:::tenant-acme1-bucket/*"], deny["NotResource"]!.AsArray().Select(n => (string?)n));

        Assert.True(MinioTenantPolicy.IsAllowed(doc, "s3:ListBucket", "arn:aws:s3:::tenant-acme1-bucket"));
        Assert.True(MinioTenantPolicy.IsAllowed(doc, "s3:PutObject", "arn:aws:s3:::tenant-acme1-bucket/raw/a.pdf"));
        Assert.False(MinioTenantPolicy.IsAllowed(doc, "s3:PutObject", "arn:aws:s3:::tenant-other-bucket/raw/a.pdf"));
        Assert.False(MinioTenantPolicy.IsAllowed(doc, "s3:ListBucket", "arn:aws:s3:::tenant-acme1-bucket2"));
        Assert.False(MinioTenantPolicy.IsAllowed(doc, "s3:DeleteBucket", "arn:aws:s3:::tenant-acme1-bucket"));
        Assert.False(MinioTenantPolicy.IsAllowed(doc, "s3:ListAllMyBuckets", "arn:aws:s3:::"));
        Assert.Empty(MinioTenantPolicy.ConfinementProblems(doc, Tenant));
    }

    [Fact]
    public void An_explicit_deny_wins_over_an_allow_for_another_bucket()
    {
        var doc = MinioTenantPolicy.Document(Tenant);
        var node = JsonNode.Parse(doc)!;
        node["Statement"]!.AsArray().Add(JsonNode.Parse("""{"Effect":"Allow","Action":["s3:GetObject"],"Resource":["arn:aws:s3:::tenant-other-bucket/*"]}"""));
        var widened = node.ToJsonString();
        Assert.False(MinioTenantPolicy.IsAllowed(widened, "s3:GetObject", "arn:aws:s3:::tenant-other-bucket/x"));
        Assert.Contains(MinioTenantPolicy.ConfinementProblems(widened, Tenant), p => p.Contains("tenant-other-bucket", StringComparison.Ordinal));
    }

    [Fact]
    public void A_bucket_level_action_is_matched_by_an_objects_pattern_as_minio_does()
    {
        // MinIO evaluates bucket-level requests against "bucket/", which "bucket/*" matches.
        const string doc = """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:ListBucket"],"Resource":["arn:aws:s3:::tenant-other-bucket/*"]}]}""";
        Assert.True(MinioTenantPolicy.IsAllowed(doc, "s3:ListBucket", "arn:aws:s3:::tenant-other-bucket"));
        Assert.False(MinioTenantPolicy.IsAllowed(doc, "s3:ListBucket", "arn:aws:s3:::tenant-other-bucket2"));
    }

    [Fact]
    public void A_policy_without_the_explicit_deny_is_not_confined()
    {
        const string allowOnly = """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject"],"Resource":["arn:aws:s3:::tenant-acme1-bucket/*"]}]}""";
        Assert.Contains(MinioTenantPolicy.ConfinementProblems(allowOnly, Tenant), p => p.Contains("explicit Deny", StringComparison.Ordinal));
    }

    [Fact]
    public void Names_follow_the_spec_and_come_only_from_a_tenant_id()
    {
        var n = MinioTenantNames.For(Tenant);
        Assert.Equal(("tenant-acme1-bucket", "tenant-acme1-access", "tenant-acme1-policy"), (n.Bucket, n.User, n.Policy));
        Assert.Equal(40, MinioTenantStore.GenerateSecretKey().Length);
    }
}
