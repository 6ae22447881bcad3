using RunbookHost.Stores;
using RunbookHost.Stores.Redis;

namespace RunbookHost.Runbooks.Steps;

/// <summary>
/// Redis (spec §5) as runbook steps: Provision is §5.2 (ACL user limited to the tenant prefix, the
/// cross-prefix leaks denied), Deprovision §5.4 (ACL DELUSER, which disconnects the tenant, then every
/// key under the prefix by SCAN + UNLINK), Verify §5.3 (own prefix works; other prefixes, SCAN,
/// FLUSHALL, CONFIG, KEYS refused).
/// </summary>
public sealed class RedisSteps : PasswordStoreSteps
{
    private readonly RedisTenantStore? store;

    internal RedisSteps(TenantRun run, RedisTenantStore? store, string whyDisabled)
        : base(run, store, RedisTenantStore.StoreName, RunbookHost.Runbooks.Component.Redis, whyDisabled, s => s.RedisPassword) =>
        this.store = store;

    /// <summary>After deprovisioning: no ACL user and no key with the tenant prefix.</summary>
    public ICheckOperation VerifyAbsent() => this.store is not { } store
        ? CheckOperation.Fixed(Run.Scope.InsteadOfProbing(Component, StoreName, "absence", WhyDisabled)!)
        : new CheckOperation([$"ACL GETUSER {TenantStoreNames.RedisUser(Run.Tenant)} is empty; SCAN {TenantStoreNames.RedisKeyPattern(Run.Tenant)} finds nothing"],
            async ct =>
            {
                var state = await store.GetStateAsync(Run.Tenant, ct);
                return
                [
                    Verification.Absence(StoreName, "acl_user_absent", !state.UserExists, TenantStoreNames.RedisUser(Run.Tenant)),
                    Verification.Absence(StoreName, "prefix_keys_absent", state.KeyCount == 0, $"{state.KeyCount} keys match {TenantStoreNames.RedisKeyPattern(Run.Tenant)}"),
                ];
            });
}
