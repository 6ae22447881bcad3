using RunbookHost.Configuration;
using RunbookHost.Keys.KeyRing;
using RunbookHost.Registry;
using RunbookHost.Stores.Minio;
using RunbookHost.Stores.Postgres;
using RunbookHost.Stores.Qdrant;
using RunbookHost.Stores.Redis;

namespace RunbookHost.Runbooks;

/// <summary>
/// The process-wide clients the facades of every run share, built once by the host from the validated configuration.
/// A null store is not configured; its <c>…Disabled</c> text says why, and every facade built on it records that reason.
/// </summary>
public sealed class RunbookServices
{
    public required HostSettings Settings { get; init; }
    public required TimeProvider Clock { get; init; }
    public required TenantKeyRing Keys { get; init; }
    public TenantRegistry? Registry { get; init; }
    public string RegistryDisabled { get; init; } = "";
    public PostgresTenantStore? Postgres { get; init; }
    public PgHbaFile? PgHba { get; init; }
    public string PostgresDisabled { get; init; } = "";
    public RedisTenantStore? Redis { get; init; }
    public string RedisDisabled { get; init; } = "";
    public MinioTenantStore? Minio { get; init; }
    public string MinioDisabled { get; init; } = "";
    public QdrantTenantStore? Qdrant { get; init; }
    public string QdrantDisabled { get; init; } = "";
    /// <summary>The range allocator and the network provider (docker or hetzner); null without a registry to allocate from.</summary>
    public Network.NetworkService? Network { get; init; }
    public string NetworkDisabled { get; init; } = "";
    /// <summary>The platform and tenant CAs (docs/pki.md); null without a registry to record them in.</summary>
    public Pki.PkiService? Pki { get; init; }
    public string PkiDisabled { get; init; } = "";
    /// <summary>The message bus (docs/nats.md); null without NATS configured (Nats:Url) or without the PKI.</summary>
    public Steps.BusPlatform? Bus { get; init; }
    public string BusDisabled { get; init; } = "";
}
