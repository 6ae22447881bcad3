using System.Net;
using RunbookHost.Tenants;

namespace RunbookHost.Nats;

/// <summary>Everything the configuration writer needs: plain values, validated when the file is rendered.</summary>
public sealed record NatsServerConfiguration(
    NatsServerSettings Server,
    IReadOnlyList<NatsTenantAccount> Tenants,
    NatsPlatformAccount Platform);

/// <summary>
/// The server itself. <paramref name="ClientCaFile"/> holds only the client-issuing CAs that are trusted now (tenant
/// intermediates active or retiring, the platform-admin CA), never the root: see docs/nats.md, trust bundle.
/// The monitoring endpoint always listens on 127.0.0.1.
/// </summary>
public sealed record NatsServerSettings(
    IPAddress ListenAddress,
    int Port,
    string CertFile,
    string KeyFile,
    string ClientCaFile,
    int MonitorPort,
    string JetStreamStoreDir,
    string PidFile,
    long JetStreamMaxMemoryBytes = 256L * 1024 * 1024,
    long JetStreamMaxStoreBytes = 4L * 1024 * 1024 * 1024);

/// <summary>JetStream limits of one tenant account (nats-server's account <c>jetstream { … }</c> block).</summary>
public sealed record JetStreamLimits(long MaxMemoryBytes, long MaxStoreBytes, int MaxStreams, int MaxConsumers)
{
    /// <summary>One stream (the tenant's, created by the platform), 64 MiB in memory, 256 MiB on disk, 64 consumers.</summary>
    public static JetStreamLimits Default { get; } = new(64L * 1024 * 1024, 256L * 1024 * 1024, 1, 64);
}

/// <summary>One tenant's account: its users are the SAN DNS names of its component certificates.</summary>
public sealed record NatsTenantAccount(TenantId Tenant, IReadOnlyList<string> Users, JetStreamLimits Limits)
{
    public TenantBus Bus => new(Tenant);
}

/// <summary>The platform account: the platform-admin identities, which may cross tenants (docs/nats.md).</summary>
public sealed record NatsPlatformAccount(IReadOnlyList<string> AdminUsers)
{
    public const string AccountName = "PLATFORM";

    public static NatsPlatformAccount Default { get; } = new([NatsIdentityName.PlatformAdmin]);
}
