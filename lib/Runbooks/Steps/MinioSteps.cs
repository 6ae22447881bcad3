using RunbookHost.Stores.Minio;
using RunbookHost.Tenants;

namespace RunbookHost.Runbooks.Steps;

/// <summary>MinIO (spec §2) as runbook steps, bound to one tenant's run. A null store is not configured.</summary>
public sealed class MinioSteps
{
    public const string Store = MinioTenantStore.StoreName;

    /// <summary>Stands in for the secret when a plan is only described: plans print secrets as *** anyway, but validate their shape.</summary>
    private const string DescriptionOnly = "not-a-real-secret-only-described";

    private readonly TenantRun run;
    private readonly MinioTenantStore? store;
    private readonly string whyDisabled;

    internal MinioSteps(TenantRun run, MinioTenantStore? store, string whyDisabled)
    {
        this.run = run;
        this.store = store;
        this.whyDisabled = whyDisabled;
    }

    /// <summary>§2.1–§2.3: bucket with default encryption and its prefixes, IAM user, policy with explicit Deny, attached. Undo: §2.5.</summary>
    public IRunbookOperation Provision() => store is null
        ? new SkippedOperation(whyDisabled)
        : new RunbookOperation(store.PlanProvision(run.Tenant, DescriptionOnly).Describe(),
            async ct =>
            {
                await store.ProvisionAsync(run.Tenant, run.Secrets().MinioSecretKey, ct);
                await run.Provisioned(Component.Minio, null, ct);
            },
            async ct =>
            {
                await store.DeprovisionAsync(run.Tenant, ct);
                await run.Removed(Component.Minio, ct);
            });

    /// <summary>§7.4: the user's new secret key; the old one is refused from then on.</summary>
    public IRunbookOperation RotateSecret() => store is null
        ? new SkippedOperation(whyDisabled)
        : new RunbookOperation(store.PlanRotateSecret(run.Tenant, DescriptionOnly).Describe(), ct => store.RotateSecretAsync(run.Tenant, run.Secrets().MinioSecretKey, ct));

    /// <summary>§2.5: every object version, the bucket, the policy attachment, the user, the policy.</summary>
    public IRunbookOperation Deprovision() => store is null
        ? new SkippedOperation(whyDisabled)
        : new RunbookOperation(store.PlanDeprovision(run.Tenant).Describe(), async ct =>
        {
            await store.DeprovisionAsync(run.Tenant, ct);
            await run.Removed(Component.Minio, ct);
        });

    /// <summary>§2.4 with the tenant's own credentials: only its bucket listed and usable; another tenant's bucket denied.</summary>
    /// <remarks>Without another tenant, a bucket name no tenant has is probed: the explicit Deny must refuse it all the same.</remarks>
    public ICheckOperation Verify() => Verification.Probe(run.Scope, Component.Minio, Store, "isolation", store is null ? whyDisabled : null,
        ["list buckets, write, read and delete in the tenant's own bucket with its own keys; the same on another tenant's bucket must be denied"],
        async ct =>
        {
            var others = await run.OtherTenants();
            var other = others.Count > 0 ? others[0] : TenantId.Parse("zprobe" + Guid.NewGuid().ToString("N")[..16]);
            return await store!.VerifyAsync(run.Tenant, run.Secrets().MinioSecretKey, other, ct);
        });

    public ICheckOperation VerifyAbsent()
    {
        if (store is null)
            return CheckOperation.Fixed(run.Scope.InsteadOfProbing(Component.Minio, Store, "absence", whyDisabled)!);
        var names = MinioTenantStore.Names(run.Tenant);
        return new CheckOperation([$"no bucket {names.Bucket}, no user {names.User}, no policy {names.Policy}"], async ct =>
        {
            var state = await store.GetStateAsync(run.Tenant, ct);
            return
            [
                Verification.Absence(Store, "bucket_absent", !state.BucketExists, names.Bucket),
                Verification.Absence(Store, "user_absent", !state.UserExists, names.User),
                Verification.Absence(Store, "policy_absent", !state.PolicyExists, names.Policy),
            ];
        });
    }
}
