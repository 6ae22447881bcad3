using RunbookHost.Configuration;
using RunbookHost.Keys.KeyRing;
using RunbookHost.Runbooks;
using RunbookHost.Runbooks.Steps;
using RunbookHost.Tenants;

namespace RunbookHost.Tests.Support;

/// <summary>The runbook facades of one tenant's run, built as the host builds them, for tests that call them directly.</summary>
public static class Facades
{
    public static RunbookServices Services(string secretsRoot, Func<RunbookServices, RunbookServices>? with = null)
    {
        var services = new RunbookServices
        {
            Settings = new HostSettings(),
            Clock = TimeProvider.System,
            Keys = new TenantKeyRing(secretsRoot),
            RegistryDisabled = "disabled: no registry",
            PostgresDisabled = "disabled: PostgreSQL is not configured",
            RedisDisabled = "disabled: Redis is not configured",
            MinioDisabled = "disabled: MinIO is not configured",
            QdrantDisabled = "disabled: Qdrant is not configured",
        };
        return with is null ? services : with(services);
    }

    /// <summary>A run of <paramref name="tenant"/> whose registry record says it has <paramref name="components"/> (unknown when null).</summary>
    public static TenantRun Run(RunbookServices services, TenantId tenant, params string[]? components)
    {
        var record = components is null
            ? TenantComponents.Unknown("test: no registry")
            : TenantComponents.Known(components.Select(c => new TenantComponent(c, "test@1.0.0", DateTimeOffset.UnixEpoch, null)));
        var scope = new RunScope(tenant, record, new ComponentLedger(null, tenant, record, "test@1.0.0", TimeProvider.System), CancellationToken.None);
        return new TenantRun(scope, services);
    }
}
