using RunbookHost.Configuration;
using RunbookHost.Keys.KeyRing;
using RunbookHost.Registry;
using RunbookHost.Runbooks;
using RunbookHost.Runbooks.Steps;
using RunbookHost.Stores.Postgres;
using RunbookHost.Stores.Minio;
using RunbookHost.Stores.Qdrant;
using RunbookHost.Stores.Redis;

namespace RunbookHost.Cli.Execution;

/// <summary>Builds the runbook facades once per process from the validated configuration; unconfigured stores become visible skips.</summary>
internal sealed class ServicesFactory : IAsyncDisposable
{
    private readonly RedisTenantStore? redis;
    private readonly MinioTenantStore? minio;
    private readonly QdrantTenantStore? qdrant;
    private readonly SemaphoreSlim schemaGate = new(1, 1);
    private bool schemaReady;

    public ServicesFactory(HostSettings settings, TimeProvider clock)
    {
        var postgresConfigured = settings.Postgres.Enabled && settings.Postgres.AdminConnectionString.Length > 0;
        var postgres = postgresConfigured ? new PostgresTenantStore(settings.Postgres) : null;
        redis = settings.Redis.Enabled && settings.Redis.Configuration.Length > 0 ? new RedisTenantStore(settings.Redis) : null;
        minio = settings.Minio.Enabled && settings.Minio.IsConfigured ? new MinioTenantStore(settings.Minio, clock) : null;
        qdrant = settings.Qdrant.Enabled && settings.Qdrant.Endpoint.Length > 0 ? new QdrantTenantStore(settings.Qdrant, clock) : null;
        Registry = postgresConfigured ? new TenantRegistry(settings.Postgres, settings.Registry) : null;
        var keys = new TenantKeyRing(settings.Paths.Secrets, clock);
        Services = new RunbookServices
        {
            Settings = settings,
            Keys = keys,
            Minio = new MinioSteps(minio, Disabled("MinIO", "Minio", settings.Minio.Enabled)),
            Qdrant = new QdrantSteps(qdrant, Disabled("Qdrant", "Qdrant", settings.Qdrant.Enabled), keys),
            Postgres = new PostgresSteps(postgres, Disabled("PostgreSQL", "Postgres", settings.Postgres.Enabled),
                postgresConfigured ? PgHbaFile.FromSettings(settings.Postgres) : null),
            Redis = new RedisSteps(redis, Disabled("Redis", "Redis", settings.Redis.Enabled)),
            Registry = new RegistrySteps(Registry, "disabled: the registry lives on PostgreSQL (RUNBOOKHOST_Postgres__AdminConnectionString not set)", clock, settings.Keys.RotationDays),
        };
    }

    public RunbookServices Services { get; }

    /// <summary>The control-plane registry, or null when PostgreSQL is not configured.</summary>
    public TenantRegistry? Registry { get; }

    /// <summary>Applies the registry's migrations once per process, before the first run touches it.</summary>
    public async Task<TenantRegistry?> ReadyRegistry(CancellationToken cancellationToken)
    {
        if (Registry is null || schemaReady)
            return Registry;
        await schemaGate.WaitAsync(cancellationToken);
        try
        {
            if (!schemaReady)
                await Registry.EnsureSchemaAsync(cancellationToken);
            schemaReady = true;
        }
        finally
        {
            schemaGate.Release();
        }
        return Registry;
    }

    private static string Disabled(string store, string section, bool enabled) => enabled
        ? $"disabled: {store} is not configured (RUNBOOKHOST_{section}__*)"
        : $"disabled: RUNBOOKHOST_{section}__Enabled=false";

    public async ValueTask DisposeAsync()
    {
        if (redis is not null)
            await redis.DisposeAsync();
        minio?.Dispose();
        qdrant?.Dispose();
        schemaGate.Dispose();
    }
}
