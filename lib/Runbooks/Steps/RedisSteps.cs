using RunbookHost.Evidence;
using RunbookHost.Stores;
using RunbookHost.Stores.Redis;
using RunbookHost.Tenants;

namespace RunbookHost.Runbooks.Steps;

/// <summary>Redis (spec §5) as runbook steps. A null store is not configured: every step is skipped visibly.</summary>
public sealed class RedisSteps(RedisTenantStore? store, string whyDisabled)
{
    public const string Store = RedisTenantStore.StoreName;

    /// <summary>§5.2: ACL user limited to the tenant prefix, with the cross-prefix leaks denied. Undo: §5.4.</summary>
    public IRunbookOperation Provision(TenantId tenant, Func<string> password) => store is null
        ? new SkippedOperation(whyDisabled)
        : new RunbookOperation(store.PlanProvision(tenant, "***").Describe(),
            ct => store.ProvisionAsync(tenant, password(), ct),
            ct => store.DeprovisionAsync(tenant, ct));

    /// <summary>§7.4 emergency rotation: the tenant's new password. No undo: a failed rotation is completed by a re-run, never by dropping the tenant.</summary>
    public IRunbookOperation ChangePassword(TenantId tenant, Func<string> password) => store is null
        ? new SkippedOperation(whyDisabled)
        : new RunbookOperation(store.PlanProvision(tenant, "***").Describe(), ct => store.ProvisionAsync(tenant, password(), ct));

    /// <summary>§5.4: ACL DELUSER (disconnects the tenant), then every key under the prefix, by SCAN + UNLINK.</summary>
    public IRunbookOperation Deprovision(TenantId tenant) => store is null
        ? new SkippedOperation(whyDisabled)
        : new RunbookOperation(store.PlanDeprovision(tenant).Describe(), ct => store.DeprovisionAsync(tenant, ct));

    /// <summary>§5.3: as the tenant, own prefix works; other prefixes, SCAN, FLUSHALL, CONFIG, KEYS are refused.</summary>
    public async Task<IReadOnlyList<CheckRecord>> Verify(TenantId tenant, Func<string> password, CancellationToken cancellationToken) =>
        store is null ? [StepChecks.Skipped(Store, "isolation", whyDisabled)] : await store.VerifyAsync(tenant, password(), null, cancellationToken);

    /// <summary>After deprovisioning: no ACL user and no key with the tenant prefix.</summary>
    public async Task<IReadOnlyList<CheckRecord>> VerifyAbsent(TenantId tenant, CancellationToken cancellationToken)
    {
        if (store is null)
            return [StepChecks.Skipped(Store, "absence", whyDisabled)];
        var state = await store.GetStateAsync(tenant, cancellationToken);
        return
        [
            StepChecks.Absence(Store, "acl_user_absent", !state.UserExists, TenantStoreNames.RedisUser(tenant)),
            StepChecks.Absence(Store, "prefix_keys_absent", state.KeyCount == 0, $"{state.KeyCount} keys match {TenantStoreNames.RedisKeyPattern(tenant)}"),
        ];
    }

    /// <summary>Fleet-wide: every tenant ACL user's key and channel patterns cover only its own prefix.</summary>
    public async Task<CheckRecord> VerifyFleet(IReadOnlyCollection<TenantId> tenants, CancellationToken cancellationToken) =>
        store is null ? StepChecks.Skipped(Store, "fleet_acl_patterns", whyDisabled) : (await store.VerifyFleetAsync(tenants, cancellationToken)).ToCheck();
}
