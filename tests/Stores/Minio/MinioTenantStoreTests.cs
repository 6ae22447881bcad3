using System.Text;
using Minio.DataModel.Args;
using RunbookHost.Evidence;
using RunbookHost.Stores.Minio;
using RunbookHost.Tenants;

namespace RunbookHost.Tests.Stores.Minio;

/// <summary>Runs against a real MinIO when RUNBOOKHOST_Minio__* is set, otherwise against the in-process stand-in.</summary>
[Collection(MinioCollection.Name)]
public sealed partial class MinioTenantStoreTests(MinioTarget target)
{
    private static readonly CancellationToken Ct = CancellationToken.None;

    private static void AssertAllPass(IReadOnlyList<CheckRecord> checks)
    {
        Assert.All(checks, c => Assert.True(c.Pass, $"{c.Test}: {c.Result} {c.Detail}"));
        Assert.Equal("PASS", checks.Single(c => c.Test == "list_buckets_only_own").Result);
        Assert.Equal("ALLOWED", checks.Single(c => c.Test == "own_bucket_put_get").Result);
        Assert.Equal("DENIED", checks.Single(c => c.Test == "cross_tenant_list").Result);
        Assert.Equal("DENIED", checks.Single(c => c.Test == "cross_tenant_get").Result);
        Assert.Equal("DENIED", checks.Single(c => c.Test == "cross_tenant_put").Result);
        Assert.Equal("PASS", checks.Single(c => c.Test == "policy_attached").Result);
        Assert.All(checks, c => Assert.Equal("minio", c.Store));
    }

    private async Task<(TenantId Id, string Secret)> ProvisionAsync(MinioTenantStore store)
    {
        var id = MinioTarget.NewTenant();
        var secret = MinioTenantStore.GenerateSecretKey();
        await store.ProvisionAsync(id, secret, Ct);
        return (id, secret);
    }

    [Fact]
    public async Task Two_provisioned_tenants_can_each_use_only_their_own_bucket()
    {
        using var store = target.NewStore();
        var (a, secretA) = await ProvisionAsync(store);
        var (b, secretB) = await ProvisionAsync(store);
        try
        {
            AssertAllPass(await store.VerifyAsync(a, secretA, b, Ct));
            AssertAllPass(await store.VerifyAsync(b, secretB, a, Ct));

            var state = await store.GetStateAsync(a, Ct);
            Assert.True(state.BucketExists && state.UserExists && state.PolicyExists);
            Assert.Contains(MinioTenantNames.For(a).Policy, state.AttachedPolicies);

            using var tenantA = target.Client(MinioTenantNames.For(a).User, secretA);
            var keys = new List<string>();
            await foreach (var item in tenantA.ListObjectsEnumAsync(new ListObjectsArgs().WithBucket(MinioTenantNames.For(a).Bucket).WithRecursive(true), Ct))
                keys.Add(item.Key);
            Assert.Equal(["exports/", "parsed/", "raw/", "receipts/"], keys.Order(StringComparer.Ordinal));
            if (target.StandIn is { } standIn)
                Assert.Equal("AES256", standIn.EncryptionOf(MinioTenantNames.For(a).Bucket));
        }
        finally
        {
            await store.DeprovisionAsync(a, Ct);
            await store.DeprovisionAsync(b, Ct);
        }
    }

    [Fact]
    public async Task A_tenant_credential_cannot_delete_another_tenants_object_nor_call_the_admin_api()
    {
        using var store = target.NewStore();
        var (a, secretA) = await ProvisionAsync(store);
        var (b, _) = await ProvisionAsync(store);
        try
        {
            using var tenantA = target.Client(MinioTenantNames.For(a).User, secretA);
            var e = await Assert.ThrowsAnyAsync<Exception>(() =>
                tenantA.RemoveObjectAsync(new RemoveObjectArgs().WithBucket(MinioTenantNames.For(b).Bucket).WithObject("raw/"), Ct));
            Assert.True(MinioTenantStore.IsAccessDenied(e), MinioTenantStore.Describe(e));

            using var adminAsTenant = new MinioAdminClient(new MinioSettings
            {
                Endpoint = target.Settings.Endpoint,
                AccessKey = MinioTenantNames.For(a).User,
                SecretKey = secretA,
                Region = target.Settings.Region,
            });
            var denied = await Assert.ThrowsAsync<MinioAdminException>(() => adminAsTenant.ListUsersAsync(Ct));
            Assert.Equal(403, (int)denied.Status);
            Assert.DoesNotContain(secretA, denied.Message, StringComparison.Ordinal);
        }
        finally
        {
            await store.DeprovisionAsync(a, Ct);
            await store.DeprovisionAsync(b, Ct);
        }
    }

    [Fact]
    public async Task Provisioning_twice_is_idempotent_and_attaching_an_attached_policy_is_not_an_error()
    {
        using var store = target.NewStore();
        var (a, secret) = await ProvisionAsync(store);
        var (b, _) = await ProvisionAsync(store);
        try
        {
            await store.ProvisionAsync(a, secret, Ct);
            var names = MinioTenantNames.For(a);
            Assert.False(await store.Admin.AttachPolicyAsync(names.User, names.Policy, Ct));
            AssertAllPass(await store.VerifyAsync(a, secret, b, Ct));
            var info = await store.Admin.GetUserInfoAsync(names.User, Ct);
            Assert.Equal([names.Policy], info!.Policies);
        }
        finally
        {
            await store.DeprovisionAsync(a, Ct);
            await store.DeprovisionAsync(b, Ct);
        }
    }

    [Fact]
    public async Task An_extra_allow_everything_policy_still_cannot_reach_another_tenant_because_the_explicit_deny_wins()
    {
        using var store = target.NewStore();
        var (a, secretA) = await ProvisionAsync(store);
        var (b, _) = await ProvisionAsync(store);
        var names = MinioTenantNames.For(a);
        var extra = names.Policy + "-extra";
        try
        {
            await store.Admin.AddCannedPolicyAsync(extra,
                """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:*"],"Resource":["arn:aws:s3:::*"]}]}""", Ct);
            Assert.True(await store.Admin.AttachPolicyAsync(names.User, extra, Ct));
            AssertAllPass(await store.VerifyAsync(a, secretA, b, Ct));
        }
        finally
        {
            await store.Admin.DetachPolicyAsync(names.User, extra, Ct);
            await store.Admin.RemoveCannedPolicyAsync(extra, Ct);
            await store.DeprovisionAsync(a, Ct);
            await store.DeprovisionAsync(b, Ct);
        }
    }

    [Fact]
    public async Task A_user_whose_policy_was_detached_is_denied_its_own_bucket_until_provisioning_resumes()
    {
        using var store = target.NewStore();
        var (a, secretA) = await ProvisionAsync(store);
        var (b, _) = await ProvisionAsync(store);
        var names = MinioTenantNames.For(a);
        try
        {
            Assert.True(await store.Admin.DetachPolicyAsync(names.User, names.Policy, Ct));
            Assert.False(await store.Admin.DetachPolicyAsync(names.User, names.Policy, Ct));
            var checks = await store.VerifyAsync(a, secretA, b, Ct);
            Assert.Equal("DENIED", checks.Single(c => c.Test == "own_bucket_put_get").Result);
            Assert.Equal("FAIL", checks.Single(c => c.Test == "policy_attached").Result);
            Assert.Contains(checks, c => !c.Pass);

            await store.ProvisionAsync(a, secretA, Ct);
            AssertAllPass(await store.VerifyAsync(a, secretA, b, Ct));
        }
        finally
        {
            await store.DeprovisionAsync(a, Ct);
            await store.DeprovisionAsync(b, Ct);
        }
    }

    [Fact]
    public async Task Rotating_a_tenant_secret_makes_the_old_secret_refused()
    {
        using var store = target.NewStore();
        var (a, oldSecret) = await ProvisionAsync(store);
        var (b, _) = await ProvisionAsync(store);
        try
        {
            var newSecret = MinioTenantStore.GenerateSecretKey();
            await store.RotateSecretAsync(a, newSecret, Ct);

            using var old = target.Client(MinioTenantNames.For(a).User, oldSecret);
            var e = await Assert.ThrowsAnyAsync<Exception>(() => old.ListBucketsAsync(Ct));
            Assert.Equal("SignatureDoesNotMatch", MinioTenantStore.CodeOf(e));
            Assert.False(MinioTenantStore.IsAccessDenied(e), "a wrong secret is a signature failure, not a policy denial");

            AssertAllPass(await store.VerifyAsync(a, newSecret, b, Ct));
        }
        finally
        {
            await store.DeprovisionAsync(a, Ct);
            await store.DeprovisionAsync(b, Ct);
        }
    }

    [Fact]
    public async Task Deprovisioning_leaves_nothing_while_the_other_tenant_still_verifies()
    {
        using var store = target.NewStore();
        var (a, secretA) = await ProvisionAsync(store);
        var (b, secretB) = await ProvisionAsync(store);
        try
        {
            using var tenantA = target.Client(MinioTenantNames.For(a).User, secretA);
            for (var i = 0; i < 3; i++)
            {
                using var data = new MemoryStream(Encoding.UTF8.GetBytes($"document {i}"));
                await tenantA.PutObjectAsync(new PutObjectArgs().WithBucket(MinioTenantNames.For(a).Bucket).WithObject($"raw/doc-{i}.txt")
                    .WithStreamData(data).WithObjectSize(data.Length), Ct);
            }

            await store.DeprovisionAsync(a, Ct);
            var state = await store.GetStateAsync(a, Ct);
            Assert.True(state.NothingRemains, $"bucket={state.BucketExists} user={state.UserExists} policy={state.PolicyExists}");

            await store.DeprovisionAsync(a, Ct); // again: everything absent is fine
            Assert.True((await store.GetStateAsync(a, Ct)).NothingRemains);

            var e = await Assert.ThrowsAnyAsync<Exception>(() => tenantA.ListBucketsAsync(Ct));
            Assert.Contains(MinioTenantStore.CodeOf(e), new[] { "InvalidAccessKeyId", "SignatureDoesNotMatch", "AuthorizationFailed" });

            AssertAllPass(await store.VerifyAsync(b, secretB, a, Ct));
        }
        finally
        {
            await store.DeprovisionAsync(a, Ct);
            await store.DeprovisionAsync(b, Ct);
        }
    }
}
