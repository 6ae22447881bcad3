using RunbookHost.Stores.Minio;

namespace RunbookHost.Tests.Stores.Minio;

/// <summary>What the server answers: no KMS, typed admin errors, encrypted admin responses, wrong signatures.</summary>
public sealed partial class MinioTenantStoreTests
{
    [Fact]
    public async Task A_server_without_kms_is_reported_as_needing_minio_kms_secret_key_or_kes()
    {
        using var store = target.NewStore();
        var a = MinioTarget.NewTenant();
        if (target.StandIn is { } standIn)
            standIn.EncryptionNotImplemented = true;
        try
        {
            var plan = store.PlanProvision(a, MinioTenantStore.GenerateSecretKey());
            try
            {
                await plan.ApplyAsync(Ct);
                Assert.True(target.IsReal, "the stand-in answered 501, so provisioning must fail");
            }
            catch (MinioEncryptionNotConfiguredException e)
            {
                Assert.Contains("501", e.Message, StringComparison.Ordinal);
                Assert.Contains("MINIO_KMS_SECRET_KEY", e.Message, StringComparison.Ordinal);
                Assert.Contains("KES", e.Message, StringComparison.Ordinal);
                Assert.Equal(MinioTenantNames.For(a).Bucket, e.Bucket);
                var state = await store.GetStateAsync(a, Ct);
                Assert.True(state.BucketExists);
                Assert.False(state.UserExists, "nothing after the encryption step may run");
            }
        }
        finally
        {
            if (target.StandIn is { } s)
                s.EncryptionNotImplemented = false;
            await store.DeprovisionAsync(a, Ct);
        }
    }

    [Fact]
    public async Task The_admin_client_reports_typed_errors_and_lists_users_through_encrypted_responses()
    {
        using var store = target.NewStore();
        var (a, _) = await ProvisionAsync(store);
        var names = MinioTenantNames.For(a);
        try
        {
            var inUse = await Assert.ThrowsAsync<MinioAdminException>(() => store.Admin.RemoveCannedPolicyAsync(names.Policy, Ct));
            Assert.Equal(MinioAdminException.PolicyInUse, inUse.Code);

            var users = await store.Admin.ListUsersAsync(Ct);
            Assert.Contains(names.Policy, users[names.User].Policies);
            Assert.Equal("enabled", users[names.User].Status);

            var missing = MinioTarget.NewTenant();
            var noUser = await Assert.ThrowsAsync<MinioAdminException>(() => store.Admin.RemoveUserAsync(MinioTenantNames.For(missing).User, Ct));
            Assert.Equal(MinioAdminException.NoSuchUser, noUser.Code);
            Assert.Null(await store.Admin.GetUserInfoAsync(MinioTenantNames.For(missing).User, Ct));
            Assert.Null(await store.Admin.GetCannedPolicyAsync(MinioTenantNames.For(missing).Policy, Ct));
        }
        finally
        {
            await store.DeprovisionAsync(a, Ct);
        }
    }

    [Fact]
    public async Task A_request_signed_with_the_wrong_root_secret_is_refused_with_SignatureDoesNotMatch()
    {
        using var admin = new MinioAdminClient(new MinioSettings
        {
            Endpoint = target.Settings.Endpoint,
            AccessKey = target.Settings.AccessKey,
            SecretKey = target.Settings.SecretKey + "x",
            Region = target.Settings.Region,
        });
        var e = await Assert.ThrowsAsync<MinioAdminException>(() => admin.ListUsersAsync(Ct));
        Assert.Equal("SignatureDoesNotMatch", e.Code);
        Assert.Equal(403, (int)e.Status);
        Assert.DoesNotContain(target.Settings.SecretKey, e.Message, StringComparison.Ordinal);
        if (target.StandIn is { } standIn)
            Assert.True(standIn.SignatureFailures > 0);
    }
}
