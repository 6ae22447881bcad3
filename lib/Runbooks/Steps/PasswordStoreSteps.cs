using RunbookHost.Keys.KeyRing;
using RunbookHost.Stores;

namespace RunbookHost.Runbooks.Steps;

/// <summary>
/// The runbook steps every password-based store shares (PostgreSQL, Redis), bound to one tenant's run. A null store
/// is not configured: actions are skipped visibly, verification is skipped only if the tenant does not have the store.
/// </summary>
public abstract class PasswordStoreSteps
{
    private readonly Func<TenantSecrets, string> password;

    private protected PasswordStoreSteps(TenantRun run, IPasswordTenantStore? store, string storeName, string component, string whyDisabled, Func<TenantSecrets, string> password)
    {
        Run = run;
        TenantStore = store;
        StoreName = storeName;
        Component = component;
        WhyDisabled = whyDisabled;
        this.password = password;
    }

    private protected TenantRun Run { get; }
    private protected IPasswordTenantStore? TenantStore { get; }
    private protected string StoreName { get; }
    private protected string Component { get; }
    private protected string WhyDisabled { get; }

    /// <summary>Creates the tenant's namespace and principal with its password, and records the store in the registry. Undo: deprovision.</summary>
    public IRunbookOperation Provision() => TenantStore is not { } store
        ? new SkippedOperation(WhyDisabled)
        : new RunbookOperation(store.PlanProvision(Run.Tenant, "***").Describe(),
            async ct =>
            {
                await store.ProvisionAsync(Run.Tenant, Password(), ct);
                await Run.Provisioned(Component, null, ct);
            },
            async ct =>
            {
                await store.DeprovisionAsync(Run.Tenant, ct);
                await Run.Removed(Component, ct);
            });

    /// <summary>§7.4 emergency rotation: the tenant's new password. No undo: a failed rotation is completed by a re-run, never by dropping the tenant.</summary>
    public IRunbookOperation ChangePassword() => TenantStore is not { } store
        ? new SkippedOperation(WhyDisabled)
        : new RunbookOperation(store.PlanProvision(Run.Tenant, "***").Describe(), ct => store.ProvisionAsync(Run.Tenant, Password(), ct));

    /// <summary>§7.4 after <see cref="ChangePassword"/>: sessions opened with the old password end now, not whenever they close.</summary>
    public IRunbookOperation EndSessions() => TenantStore is not { } store
        ? new SkippedOperation(WhyDisabled)
        : new RunbookOperation(store.PlanEndSessions(Run.Tenant).Describe(), ct => store.PlanEndSessions(Run.Tenant).ApplyAsync(ct));

    /// <summary>Removes the tenant's namespace and principal (absent is fine), then its record in the registry.</summary>
    public IRunbookOperation Deprovision() => TenantStore is not { } store
        ? new SkippedOperation(WhyDisabled)
        : new RunbookOperation(store.PlanDeprovision(Run.Tenant).Describe(), async ct =>
        {
            await store.DeprovisionAsync(Run.Tenant, ct);
            await Run.Removed(Component, ct);
        });

    /// <summary>Live checks as the tenant: its own namespace works, everything else is refused.</summary>
    public ICheckOperation Verify() => Verification.Probe(Run.Scope, Component, StoreName, "isolation", TenantStore is null ? WhyDisabled : null,
        [$"log in to {StoreName} as the tenant's own principal: its own namespace must work, every other must be refused"],
        ct => TenantStore!.VerifyAsync(Run.Tenant, Password(), null, ct));

    private string Password() => password(Run.Secrets());
}
