using System.Security.Cryptography;
using System.Text;
using Minio.DataModel.Args;
using RunbookHost.Evidence;
using RunbookHost.Tenants;

namespace RunbookHost.Stores.Minio;

/// <summary>Per-tenant verification (spec §2.4) with the tenant's own credential.</summary>
public sealed partial class MinioTenantStore
{
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
}
