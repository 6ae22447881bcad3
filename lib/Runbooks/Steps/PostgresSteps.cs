using RunbookHost.Evidence;
using RunbookHost.Stores;
using RunbookHost.Stores.Postgres;
using RunbookHost.Tenants;

namespace RunbookHost.Runbooks.Steps;

/// <summary>
/// PostgreSQL (spec §3) as runbook steps: Provision is §3.1 (database from template0, role, PUBLIC
/// revoked, schema owned by the tenant), Deprovision §3.4 (DROP DATABASE … WITH (FORCE), then the
/// role), Verify §3.3 (own database usable as the tenant, another tenant's refused, catalog checks),
/// and, when <c>Postgres:HbaFile</c> is set, §3.2 (the tenant's pg_hba.conf line, see <see cref="PgHbaFile"/>).
/// </summary>
public sealed class PostgresSteps(PostgresTenantStore? store, string whyDisabled, PgHbaFile? hba = null)
    : PasswordStoreSteps<PostgresTenantStore>(store, PostgresTenantStore.StoreName, whyDisabled)
{
    public const string HbaOff = "pg_hba management is off (RUNBOOKHOST_Postgres__HbaFile not set)";
    public const string NoOctet = "the tenant's network octet comes from the registry, and there is no registry";

    /// <summary>The pg_hba.conf manager, or null when management is off.</summary>
    public PgHbaFile? Hba => TenantStore is null ? null : hba;

    /// <summary>
    /// §3.2: the line <c>host tenant_&lt;id&gt; tenant_&lt;id&gt;_user &lt;network&gt; &lt;method&gt;</c> in the managed block,
    /// then reload. <paramref name="octet"/> (from <see cref="RegistrySteps.Octet"/>) is read only when the step runs;
    /// null means there is no registry. Undo: the line is removed again.
    /// </summary>
    public IRunbookOperation AllowTenantNetwork(TenantId tenant, Func<int>? octet)
    {
        if (TenantStore is null)
            return new SkippedOperation(WhyDisabled);
        if (hba is null)
            return new SkippedOperation(HbaOff);
        if (octet is null)
            return new SkippedOperation(NoOctet);
        return new RunbookOperation(hba.DescribeAllow(tenant, null),
            ct => hba.AllowAsync(tenant, octet(), ct),
            ct => hba.RemoveAsync(tenant, ct));
    }

    /// <summary>As <see cref="AllowTenantNetwork(TenantId, Func{int}?)"/> with a known octet (the dry run shows the exact line).</summary>
    public IRunbookOperation AllowTenantNetwork(TenantId tenant, int octet) =>
        TenantStore is null ? new SkippedOperation(WhyDisabled)
        : hba is null ? new SkippedOperation(HbaOff)
        : new RunbookOperation(hba.DescribeAllow(tenant, octet), ct => hba.AllowAsync(tenant, octet, ct), ct => hba.RemoveAsync(tenant, ct));

    /// <summary>§3.4: the tenant's pg_hba.conf line removed (absent is fine), then reload.</summary>
    public IRunbookOperation RemoveTenantNetwork(TenantId tenant) =>
        TenantStore is null ? new SkippedOperation(WhyDisabled)
        : hba is null ? new SkippedOperation(HbaOff)
        : new RunbookOperation(hba.DescribeRemove(tenant), ct => hba.RemoveAsync(tenant, ct));

    /// <summary>§3.2 catalog check (no login): pg_hba_file_rules has exactly the tenant's line for its network, before the catch-all.</summary>
    public async Task<CheckRecord> VerifyTenantNetwork(TenantId tenant, int? octet, CancellationToken cancellationToken)
    {
        const string test = "pg_hba_tenant_network";
        if (TenantStore is null)
            return StepChecks.Skipped(StoreName, test, WhyDisabled);
        if (hba is null)
            return StepChecks.Skipped(StoreName, test, HbaOff);
        if (octet is not int o)
            return StepChecks.Skipped(StoreName, test, "the tenant has no network octet in the registry (or there is no registry)");
        return await hba.VerifyAsync(tenant, o, cancellationToken);
    }

    /// <summary>After deprovisioning: the database and the role are gone (and the pg_hba.conf line, when managed).</summary>
    public async Task<IReadOnlyList<CheckRecord>> VerifyAbsent(TenantId tenant, CancellationToken cancellationToken)
    {
        if (TenantStore is null)
            return [StepChecks.Skipped(StoreName, "absence", WhyDisabled)];
        var state = await TenantStore.GetStateAsync(tenant, cancellationToken);
        return
        [
            StepChecks.Absence(StoreName, "database_absent", !state.DatabaseExists, TenantStoreNames.PostgresDatabase(tenant)),
            StepChecks.Absence(StoreName, "role_absent", !state.RoleExists, TenantStoreNames.PostgresRole(tenant)),
            .. hba is null ? Array.Empty<CheckRecord>() : [await hba.VerifyAbsentAsync(tenant, cancellationToken)],
        ];
    }

    /// <summary>Fleet-wide, not quadratic in logins: every tenant role × tenant database CONNECT privilege from the catalog, in one query.</summary>
    public async Task<CheckRecord> VerifyFleet(IReadOnlyCollection<TenantId> tenants, CancellationToken cancellationToken) =>
        TenantStore is null
            ? StepChecks.Skipped(StoreName, "fleet_cross_db_connect", WhyDisabled)
            : (await TenantStore.VerifyFleetAsync(tenants, cancellationToken)).ToCheck();
}
