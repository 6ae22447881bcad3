using RunbookHost.Evidence;
using RunbookHost.Stores;
using RunbookHost.Stores.Postgres;
using RunbookHost.Tenants;

namespace RunbookHost.Runbooks.Steps;

/// <summary>
/// PostgreSQL (spec §3) as runbook steps: Provision is §3.1 (database from template0, role, PUBLIC
/// revoked, schema owned by the tenant), Deprovision §3.4 (DROP DATABASE … WITH (FORCE), then the
/// role), Verify §3.3 (own database usable as the tenant, another tenant's refused, catalog checks).
/// </summary>
public sealed class PostgresSteps(PostgresTenantStore? store, string whyDisabled)
    : PasswordStoreSteps<PostgresTenantStore>(store, PostgresTenantStore.StoreName, whyDisabled)
{
    /// <summary>After deprovisioning: the database and the role are gone.</summary>
    public async Task<IReadOnlyList<CheckRecord>> VerifyAbsent(TenantId tenant, CancellationToken cancellationToken)
    {
        if (TenantStore is null)
            return [StepChecks.Skipped(StoreName, "absence", WhyDisabled)];
        var state = await TenantStore.GetStateAsync(tenant, cancellationToken);
        return
        [
            StepChecks.Absence(StoreName, "database_absent", !state.DatabaseExists, TenantStoreNames.PostgresDatabase(tenant)),
            StepChecks.Absence(StoreName, "role_absent", !state.RoleExists, TenantStoreNames.PostgresRole(tenant)),
        ];
    }

    /// <summary>Fleet-wide, not quadratic in logins: every tenant role × tenant database CONNECT privilege from the catalog, in one query.</summary>
    public async Task<CheckRecord> VerifyFleet(IReadOnlyCollection<TenantId> tenants, CancellationToken cancellationToken) =>
        TenantStore is null
            ? StepChecks.Skipped(StoreName, "fleet_cross_db_connect", WhyDisabled)
            : (await TenantStore.VerifyFleetAsync(tenants, cancellationToken)).ToCheck();
}
