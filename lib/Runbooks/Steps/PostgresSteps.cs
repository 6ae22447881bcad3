using RunbookHost.Evidence;
using RunbookHost.Stores;
using RunbookHost.Stores.Postgres;

namespace RunbookHost.Runbooks.Steps;

/// <summary>
/// PostgreSQL (spec §3) as runbook steps: Provision is §3.1 (database from template0, role, PUBLIC
/// revoked, schema owned by the tenant), Deprovision §3.4 (DROP DATABASE … WITH (FORCE), then the
/// role), Verify §3.3 (own database usable as the tenant, another tenant's refused, catalog checks),
/// and, when <c>Postgres:HbaFile</c> is set, §3.2 (the tenant's pg_hba.conf line, see <see cref="PgHbaFile"/>).
/// </summary>
public sealed class PostgresSteps : PasswordStoreSteps
{
    public const string HbaOff = "pg_hba management is off (RUNBOOKHOST_Postgres__HbaFile not set)";
    public const string NoRegistry = "the tenant's network octet comes from the registry, and there is no registry";

    private readonly PgHbaFile? hba;
    private readonly PostgresTenantStore? store;

    internal PostgresSteps(TenantRun run, PostgresTenantStore? store, string whyDisabled, PgHbaFile? hba)
        : base(run, store, PostgresTenantStore.StoreName, RunbookHost.Runbooks.Component.Postgres, whyDisabled, s => s.PostgresPassword)
    {
        this.store = store;
        this.hba = store is null ? null : hba;
    }

    /// <summary>
    /// §3.2: the line <c>host tenant_&lt;id&gt; tenant_&lt;id&gt;_user &lt;network&gt; &lt;method&gt;</c> in the managed block,
    /// then reload. The tenant's network octet is read from the registry when the step runs. Undo: the line is removed again.
    /// </summary>
    public IRunbookOperation AllowTenantNetwork()
    {
        if (TenantStore is null)
            return new SkippedOperation(WhyDisabled);
        if (hba is null)
            return new SkippedOperation(HbaOff);
        if (Run.Services.Registry is not { } registry)
            return new SkippedOperation(NoRegistry);
        return new RunbookOperation(hba.DescribeAllow(Run.Tenant, null),
            async ct =>
            {
                var range = await TenantRange(registry, ct)
                    ?? throw new InvalidOperationException($"tenant {Run.Tenant} has no network range in the registry (register it first)");
                await hba.AllowAsync(Run.Tenant, range, ct);
                await Run.Provisioned(RunbookHost.Runbooks.Component.PgHba, range.ToString(), ct);
            },
            async ct =>
            {
                await hba.RemoveAsync(Run.Tenant, ct);
                await Run.Removed(RunbookHost.Runbooks.Component.PgHba, ct);
            });
    }

    /// <summary>§3.4: the tenant's pg_hba.conf line removed (absent is fine), then reload.</summary>
    public IRunbookOperation RemoveTenantNetwork() =>
        TenantStore is null ? new SkippedOperation(WhyDisabled)
        : hba is null ? new SkippedOperation(HbaOff)
        : new RunbookOperation(hba.DescribeRemove(Run.Tenant), async ct =>
        {
            await hba.RemoveAsync(Run.Tenant, ct);
            await Run.Removed(RunbookHost.Runbooks.Component.PgHba, ct);
        });

    /// <summary>§3.2 from the server's own view (pg_hba_file_rules): the tenant's line for its network, evaluated as PostgreSQL does.</summary>
    public ICheckOperation VerifyTenantNetwork() =>
        Verification.Probe(Run.Scope, RunbookHost.Runbooks.Component.PgHba, StoreName, "pg_hba_tenant_network",
            TenantStore is null ? WhyDisabled : hba is null ? HbaOff : Run.Services.Registry is null ? NoRegistry : null,
            ["read pg_hba_file_rules (what the server loaded) and evaluate the tenant role's connections top-down"],
            async ct =>
            {
                var range = await TenantRange(Run.Services.Registry!, ct);
                return range is { } r
                    ? [await hba!.VerifyAsync(Run.Tenant, r, ct)]
                    : [CheckRecord.Incomplete(StoreName, "pg_hba_tenant_network", "the tenant has no network range in the registry")];
            });

    /// <summary>
    /// §3.2 proven, not assumed (catalog, no login): the whole of pg_hba_file_rules evaluated top-down for the tenant role
    /// from its network, from outside it and to other databases, plus whether the server loaded that file (<see cref="PgHbaFile.ProveAsync(RunbookHost.Tenants.TenantId, System.Net.IPNetwork, CancellationToken)"/>).
    /// </summary>
    public ICheckOperation ProveTenantNetwork() =>
        Verification.Probe(Run.Scope, RunbookHost.Runbooks.Component.PgHba, StoreName, PgHbaFile.OutsideNetworkTest,
            TenantStore is null ? WhyDisabled : hba is null ? HbaOff : Run.Services.Registry is null ? NoRegistry : null,
            ["read pg_hba_file_rules and evaluate every line top-down, over every address, for the tenant role: from its network, from outside it, to other databases; and whether the server loaded that file"],
            async ct =>
            {
                var range = await TenantRange(Run.Services.Registry!, ct);
                return range is { } r
                    ? await hba!.ProveAsync(Run.Tenant, r, ct)
                    : [CheckRecord.Incomplete(StoreName, PgHbaFile.OutsideNetworkTest, "the tenant has no network range in the registry")];
            });

    /// <summary>
    /// The tenant's network as the one allocator gave it (lib/Network: the same range its private network uses), or, for a
    /// tenant registered before ranges were allocated, its tenant_octet through Postgres:HbaCidrTemplate; null when neither.
    /// </summary>
    private async Task<System.Net.IPNetwork?> TenantRange(RunbookHost.Registry.TenantRegistry registry, CancellationToken ct)
    {
        if (await registry.GetNetworkAsync(Run.Tenant, ct) is { } allocated)
            return allocated.Range;
        return (await registry.GetAsync(Run.Tenant, ct))?.TenantOctet is int octet
            ? System.Net.IPNetwork.Parse(hba!.Policy.CidrFor(octet))
            : null;
    }

    public const string HardeningOff = "cluster hardening is off (RUNBOOKHOST_Postgres__HardenSystemDatabases not set)";

    /// <summary>
    /// Opt-in cluster hardening (<c>Postgres:HardenSystemDatabases</c>): REVOKE CONNECT ON DATABASE postgres, template1
    /// FROM PUBLIC, so tenant roles cannot log in there. Idempotent; no undo (it is cluster-wide, not the tenant's).
    /// </summary>
    public IRunbookOperation HardenSystemDatabases() =>
        this.store is not { } store ? new SkippedOperation(WhyDisabled)
        : !store.HardenSystemDatabases ? new SkippedOperation(HardeningOff)
        : new RunbookOperation(PostgresTenantStore.DescribeRevokePublicConnect(), ct => store.RevokePublicConnectAsync(null, ct));

    /// <summary>With the hardening on: PUBLIC may CONNECT to neither postgres nor template1 (catalog, no login).</summary>
    public ICheckOperation VerifySystemDatabases() => this.store is not { } store
        ? CheckOperation.Fixed(Run.Scope.InsteadOfProbing(Component, StoreName, PostgresTenantStore.SystemDatabasesTest, WhyDisabled)!)
        : !store.HardenSystemDatabases
            ? CheckOperation.Fixed(CheckRecord.Skipped(StoreName, PostgresTenantStore.SystemDatabasesTest, HardeningOff))
            : new CheckOperation(["read pg_database: PUBLIC may CONNECT to neither postgres nor template1"],
                async ct => [await store.VerifyPublicConnectRevokedAsync(null, ct)]);

    /// <summary>After deprovisioning: the database and the role are gone (and the pg_hba.conf line, when managed).</summary>
    public ICheckOperation VerifyAbsent() => this.store is not { } store
        ? CheckOperation.Fixed(Run.Scope.InsteadOfProbing(Component, StoreName, "absence", WhyDisabled)!)
        : new CheckOperation([$"read the catalog: no database {TenantStoreNames.PostgresDatabase(Run.Tenant)}, no role {TenantStoreNames.PostgresRole(Run.Tenant)}"],
            async ct =>
            {
                var state = await store.GetStateAsync(Run.Tenant, ct);
                return
                [
                    Verification.Absence(StoreName, "database_absent", !state.DatabaseExists, TenantStoreNames.PostgresDatabase(Run.Tenant)),
                    Verification.Absence(StoreName, "role_absent", !state.RoleExists, TenantStoreNames.PostgresRole(Run.Tenant)),
                    .. hba is null ? Array.Empty<CheckRecord>() : [await hba.VerifyAbsentAsync(Run.Tenant, ct)],
                ];
            });
}
