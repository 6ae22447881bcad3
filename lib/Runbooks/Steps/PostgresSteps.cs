using RunbookHost.Evidence;
using RunbookHost.Stores;
using RunbookHost.Stores.Postgres;
using RunbookHost.Tenants;

namespace RunbookHost.Runbooks.Steps;

/// <summary>PostgreSQL (spec §3) as runbook steps. A null store is not configured: every step is skipped visibly.</summary>
public sealed class PostgresSteps(PostgresTenantStore? store, string whyDisabled)
{
    public const string Store = PostgresTenantStore.StoreName;

    /// <summary>§3.1: database from template0, role with the tenant's password, PUBLIC revoked, schema owned by the tenant. Undo: §3.4.</summary>
    public IRunbookOperation Provision(TenantId tenant, Func<string> password) => store is null
        ? new SkippedOperation(whyDisabled)
        : new RunbookOperation(store.PlanProvision(tenant, "***").Describe(),
            ct => store.ProvisionAsync(tenant, password(), ct),
            ct => store.DeprovisionAsync(tenant, ct));

    /// <summary>§7.4 emergency rotation: the tenant's new password. No undo: a failed rotation is completed by a re-run, never by dropping the tenant.</summary>
    public IRunbookOperation ChangePassword(TenantId tenant, Func<string> password) => store is null
        ? new SkippedOperation(whyDisabled)
        : new RunbookOperation(store.PlanProvision(tenant, "***").Describe(), ct => store.ProvisionAsync(tenant, password(), ct));

    /// <summary>§3.4: DROP DATABASE … WITH (FORCE), then the role.</summary>
    public IRunbookOperation Deprovision(TenantId tenant) => store is null
        ? new SkippedOperation(whyDisabled)
        : new RunbookOperation(store.PlanDeprovision(tenant).Describe(), ct => store.DeprovisionAsync(tenant, ct));

    /// <summary>§3.3: live checks as the tenant (own database usable, another tenant's refused) and catalog checks.</summary>
    public async Task<IReadOnlyList<CheckRecord>> Verify(TenantId tenant, Func<string> password, CancellationToken cancellationToken) =>
        store is null ? [StepChecks.Skipped(Store, "isolation", whyDisabled)] : await store.VerifyAsync(tenant, password(), null, cancellationToken);

    /// <summary>After deprovisioning: the database and the role are gone.</summary>
    public async Task<IReadOnlyList<CheckRecord>> VerifyAbsent(TenantId tenant, CancellationToken cancellationToken)
    {
        if (store is null)
            return [StepChecks.Skipped(Store, "absence", whyDisabled)];
        var state = await store.GetStateAsync(tenant, cancellationToken);
        return
        [
            StepChecks.Absence(Store, "database_absent", !state.DatabaseExists, TenantStoreNames.PostgresDatabase(tenant)),
            StepChecks.Absence(Store, "role_absent", !state.RoleExists, TenantStoreNames.PostgresRole(tenant)),
        ];
    }

    /// <summary>Fleet-wide (issue: not quadratic in logins): every tenant role × tenant database CONNECT privilege from the catalog.</summary>
    public async Task<CheckRecord> VerifyFleet(IReadOnlyCollection<TenantId> tenants, CancellationToken cancellationToken) =>
        store is null ? StepChecks.Skipped(Store, "fleet_cross_db_connect", whyDisabled) : (await store.VerifyFleetAsync(tenants, cancellationToken)).ToCheck();
}
