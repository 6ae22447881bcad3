using RunbookHost.Evidence;
using RunbookHost.Stores;
using RunbookHost.Stores.Redis;
using RunbookHost.Tenants;

namespace RunbookHost.Runbooks.Steps;

/// <summary>
/// Redis (spec §5) as runbook steps: Provision is §5.2 (ACL user limited to the tenant prefix, the
/// cross-prefix leaks denied), Deprovision §5.4 (ACL DELUSER, which disconnects the tenant, then every
/// key under the prefix by SCAN + UNLINK), Verify §5.3 (own prefix works; other prefixes, SCAN,
/// FLUSHALL, CONFIG, KEYS refused).
/// </summary>
public sealed class RedisSteps(RedisTenantStore? store, string whyDisabled)
    : PasswordStoreSteps<RedisTenantStore>(store, RedisTenantStore.StoreName, whyDisabled)
{
    /// <summary>After deprovisioning: no ACL user and no key with the tenant prefix.</summary>
    public async Task<IReadOnlyList<CheckRecord>> VerifyAbsent(TenantId tenant, CancellationToken cancellationToken)
    {
        if (TenantStore is null)
            return [StepChecks.Skipped(StoreName, "absence", WhyDisabled)];
        var state = await TenantStore.GetStateAsync(tenant, cancellationToken);
        return
        [
            StepChecks.Absence(StoreName, "acl_user_absent", !state.UserExists, TenantStoreNames.RedisUser(tenant)),
            StepChecks.Absence(StoreName, "prefix_keys_absent", state.KeyCount == 0, $"{state.KeyCount} keys match {TenantStoreNames.RedisKeyPattern(tenant)}"),
        ];
    }

    /// <summary>Fleet-wide: every tenant ACL user's key and channel patterns cover only its own prefix.</summary>
    public async Task<CheckRecord> VerifyFleet(IReadOnlyCollection<TenantId> tenants, CancellationToken cancellationToken) =>
        TenantStore is null
            ? StepChecks.Skipped(StoreName, "fleet_acl_patterns", WhyDisabled)
            : (await TenantStore.VerifyFleetAsync(tenants, cancellationToken)).ToCheck();
}
