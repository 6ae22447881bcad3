using RunbookHost.Evidence;
using RunbookHost.Stores;
using RunbookHost.Tenants;

namespace RunbookHost.Runbooks.Steps;

/// <summary>
/// The runbook steps every password-based store shares (PostgreSQL, Redis). A null store is not
/// configured: every step is skipped visibly, with the reason, never silently.
/// </summary>
public abstract class PasswordStoreSteps<TStore>(TStore? store, string storeName, string whyDisabled)
    where TStore : class, IPasswordTenantStore
{
    protected TStore? TenantStore => store;
    protected string StoreName => storeName;
    protected string WhyDisabled => whyDisabled;

    /// <summary>Creates the tenant's namespace and principal with its password. Undo: deprovision.</summary>
    public IRunbookOperation Provision(TenantId tenant, Func<string> password) => store is null
        ? new SkippedOperation(whyDisabled)
        : new RunbookOperation(store.PlanProvision(tenant, "***").Describe(),
            ct => store.ProvisionAsync(tenant, password(), ct),
            ct => store.DeprovisionAsync(tenant, ct));

    /// <summary>§7.4 emergency rotation: the tenant's new password. No undo: a failed rotation is completed by a re-run, never by dropping the tenant.</summary>
    public IRunbookOperation ChangePassword(TenantId tenant, Func<string> password) => store is null
        ? new SkippedOperation(whyDisabled)
        : new RunbookOperation(store.PlanProvision(tenant, "***").Describe(), ct => store.ProvisionAsync(tenant, password(), ct));

    /// <summary>§7.4 after <see cref="ChangePassword"/>: sessions opened with the old password end now, not whenever they close.</summary>
    public IRunbookOperation EndSessions(TenantId tenant) => store is null
        ? new SkippedOperation(whyDisabled)
        : new RunbookOperation(store.PlanEndSessions(tenant).Describe(), ct => store.PlanEndSessions(tenant).ApplyAsync(ct));

    public IRunbookOperation Deprovision(TenantId tenant) => store is null
        ? new SkippedOperation(whyDisabled)
        : new RunbookOperation(store.PlanDeprovision(tenant).Describe(), ct => store.DeprovisionAsync(tenant, ct));

    /// <summary>Live checks as the tenant: its own namespace works, everything else is refused.</summary>
    public async Task<IReadOnlyList<CheckRecord>> Verify(TenantId tenant, Func<string> password, CancellationToken cancellationToken) =>
        store is null ? [StepChecks.Skipped(storeName, "isolation", whyDisabled)] : await store.VerifyAsync(tenant, password(), null, cancellationToken);
}
