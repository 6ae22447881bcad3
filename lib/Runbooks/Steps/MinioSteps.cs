using RunbookHost.Evidence;
using RunbookHost.Stores.Minio;
using RunbookHost.Tenants;

namespace RunbookHost.Runbooks.Steps;

/// <summary>MinIO (spec §2) as runbook steps. A null store is not configured: every step is skipped visibly.</summary>
public sealed class MinioSteps(MinioTenantStore? store, string whyDisabled)
{
    public const string Store = MinioTenantStore.StoreName;

    /// <summary>Stands in for the secret when a plan is only described: plans print secrets as *** anyway, but validate their shape.</summary>
    private const string DescriptionOnly = "not-a-real-secret-only-described";

    /// <summary>§2.1–§2.3: bucket with default encryption and its prefixes, IAM user, policy with explicit Deny, attached. Undo: §2.5.</summary>
    public IRunbookOperation Provision(TenantId tenant, Func<string> secretKey) => store is null
        ? new SkippedOperation(whyDisabled)
        : new RunbookOperation(store.PlanProvision(tenant, DescriptionOnly).Describe(),
            ct => store.ProvisionAsync(tenant, secretKey(), ct),
            ct => store.DeprovisionAsync(tenant, ct));

    /// <summary>§7.4: the user's new secret key; the old one is refused from then on.</summary>
    public IRunbookOperation RotateSecret(TenantId tenant, Func<string> newSecretKey) => store is null
        ? new SkippedOperation(whyDisabled)
        : new RunbookOperation(store.PlanRotateSecret(tenant, DescriptionOnly).Describe(), ct => store.RotateSecretAsync(tenant, newSecretKey(), ct));

    /// <summary>§2.5: every object version, the bucket, the policy attachment, the user, the policy.</summary>
    public IRunbookOperation Deprovision(TenantId tenant) => store is null
        ? new SkippedOperation(whyDisabled)
        : new RunbookOperation(store.PlanDeprovision(tenant).Describe(), ct => store.DeprovisionAsync(tenant, ct));

    /// <summary>§2.4 with the tenant's own credentials: only its bucket listed and usable; another tenant's bucket denied.</summary>
    /// <remarks>Without another tenant, a bucket name no tenant has is probed: the explicit Deny must refuse it all the same.</remarks>
    public async Task<IReadOnlyList<CheckRecord>> Verify(TenantId tenant, Func<string> secretKey, TenantId? otherTenant, CancellationToken cancellationToken) =>
        store is null
            ? [StepChecks.Skipped(Store, "isolation", whyDisabled)]
            : await store.VerifyAsync(tenant, secretKey(), otherTenant ?? TenantId.Parse("zprobe" + Guid.NewGuid().ToString("N")[..16]), cancellationToken);

    public async Task<IReadOnlyList<CheckRecord>> VerifyAbsent(TenantId tenant, CancellationToken cancellationToken)
    {
        if (store is null)
            return [StepChecks.Skipped(Store, "absence", whyDisabled)];
        var state = await store.GetStateAsync(tenant, cancellationToken);
        var names = MinioTenantStore.Names(tenant);
        return
        [
            StepChecks.Absence(Store, "bucket_absent", !state.BucketExists, names.Bucket),
            StepChecks.Absence(Store, "user_absent", !state.UserExists, names.User),
            StepChecks.Absence(Store, "policy_absent", !state.PolicyExists, names.Policy),
        ];
    }

    /// <summary>Fleet-wide: every tenant user's attached policy reaches only its own bucket.</summary>
    public async Task<CheckRecord> VerifyFleet(CancellationToken cancellationToken) =>
        store is null ? StepChecks.Skipped(Store, "fleet_policy_scope", whyDisabled) : (await store.VerifyFleetAsync(cancellationToken)).Check;
}
