using RunbookHost.Configuration;
using RunbookHost.Keys.KeyRing;
using RunbookHost.Network;
using RunbookHost.Pki;
using RunbookHost.Registry;
using RunbookHost.Runbooks;
using RunbookHost.Stores.Minio;
using RunbookHost.Stores.Postgres;
using RunbookHost.Stores.Qdrant;
using RunbookHost.Stores.Redis;

namespace RunbookHost.Cli.Execution;

/// <summary>Builds the process-wide clients every run's facades share, once, from the validated configuration; unconfigured stores become visible skips.</summary>
internal sealed class ServicesFactory : IAsyncDisposable
{
    private readonly SemaphoreSlim schemaGate = new(1, 1);
    private bool schemaReady;

    public ServicesFactory(HostSettings settings, TimeProvider clock)
    {
        var postgresConfigured = settings.Postgres.Enabled && settings.Postgres.AdminConnectionString.Length > 0;
        Registry = postgresConfigured ? new TenantRegistry(settings.Postgres, settings.Registry) : null;
        var keys = new TenantKeyRing(settings.Paths.Secrets, clock);
        var pki = Registry is null ? null : new PkiService(new PkiFiles(settings.Paths.Secrets), settings.Pki, keys, Registry, clock);
        Services = new RunbookServices
        {
            Settings = settings,
            Clock = clock,
            Keys = keys,
            Registry = Registry,
            RegistryDisabled = NoRegistry,
            Postgres = postgresConfigured ? new PostgresTenantStore(settings.Postgres) : null,
            PgHba = postgresConfigured ? PgHbaFile.FromSettings(settings.Postgres) : null,
            PostgresDisabled = Disabled("PostgreSQL", "Postgres", settings.Postgres.Enabled),
            Redis = settings.Redis.Enabled && settings.Redis.Configuration.Length > 0 ? new RedisTenantStore(settings.Redis) : null,
            RedisDisabled = Disabled("Redis", "Redis", settings.Redis.Enabled),
            Minio = settings.Minio.Enabled && settings.Minio.IsConfigured ? new MinioTenantStore(settings.Minio, clock) : null,
            MinioDisabled = Disabled("MinIO", "Minio", settings.Minio.Enabled),
            Qdrant = settings.Qdrant.Enabled && settings.Qdrant.Endpoint.Length > 0 ? new QdrantTenantStore(settings.Qdrant, clock) : null,
            QdrantDisabled = Disabled("Qdrant", "Qdrant", settings.Qdrant.Enabled),
            Network = Registry is null ? null : Network(settings, Registry, clock),
            NetworkDisabled = NoRegistry,
            Pki = pki,
            PkiDisabled = NoRegistry,
            Bus = pki is null || !settings.Nats.IsConfigured || settings.Nats.ConfigFile.Length == 0
                ? null : new RunbookHost.Runbooks.Steps.BusPlatform(settings.Nats, pki, Registry!, clock),
            BusDisabled = pki is null ? NoRegistry : NoNats,
        };
    }

    public const string NoNats = "disabled: NATS is not configured (RUNBOOKHOST_Nats__Url and RUNBOOKHOST_Nats__ConfigFile)";

    public const string NoRegistry = "disabled: the registry lives on PostgreSQL (RUNBOOKHOST_Postgres__AdminConnectionString not set)";

    public RunbookServices Services { get; }

    /// <summary>The control-plane registry, or null when PostgreSQL is not configured.</summary>
    public TenantRegistry? Registry { get; }

    /// <summary>Applies the registry's migrations once per process, before the first run touches it. Throws when the registry cannot be reached.</summary>
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

    /// <summary>The registry, or why it cannot be used now (not configured, or unreachable: the reason names which).</summary>
    public async Task<(TenantRegistry? Registry, string? WhyNot)> TryRegistry(CancellationToken cancellationToken)
    {
        if (Registry is null)
            return (null, "no registry is configured (RUNBOOKHOST_Postgres__AdminConnectionString not set)");
        try
        {
            return (await ReadyRegistry(cancellationToken), null);
        }
        catch (Exception error) when (error is Npgsql.NpgsqlException or System.Net.Sockets.SocketException or TimeoutException or IOException)
        {
            return (null, $"the registry is unreachable: {error.Message.Split('\n')[0].Trim()}");
        }
    }

    private static NetworkService Network(HostSettings settings, TenantRegistry registry, TimeProvider clock)
    {
        try
        {
            return NetworkService.Create(settings.Network, settings.Hetzner, registry, clock);
        }
        catch (ArgumentException error)
        {
            throw new UsageException(error.Message.Split(" (Parameter")[0]);
        }
    }

    private static string Disabled(string store, string section, bool enabled) => enabled
        ? $"disabled: {store} is not configured (RUNBOOKHOST_{section}__*)"
        : $"disabled: RUNBOOKHOST_{section}__Enabled=false";

    public async ValueTask DisposeAsync()
    {
        if (Services.Redis is not null)
            await Services.Redis.DisposeAsync();
        Services.Minio?.Dispose();
        Services.Qdrant?.Dispose();
        Services.Network?.Dispose();
        schemaGate.Dispose();
    }
}
