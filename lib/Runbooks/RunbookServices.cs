using RunbookHost.Configuration;
using RunbookHost.Keys.KeyRing;
using RunbookHost.Runbooks.Steps;

namespace RunbookHost.Runbooks;

/// <summary>The library facades a runbook calls, built once per process by the host from the configuration.</summary>
public sealed class RunbookServices
{
    public required HostSettings Settings { get; init; }
    public required TenantKeyRing Keys { get; init; }
    public required MinioSteps Minio { get; init; }
    public required QdrantSteps Qdrant { get; init; }
    public required PostgresSteps Postgres { get; init; }
    public required RedisSteps Redis { get; init; }
    public required RegistrySteps Registry { get; init; }
}
