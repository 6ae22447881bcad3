using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;

namespace RunbookHost.Nats;

/// <summary>
/// The tenant's JetStream stream, managed by the platform admin through the tenant account's JetStream API that the
/// platform account imports as <c>$JS.&lt;tenant&gt;.API</c> (the tenant's own identities may read it, not reshape it).
/// </summary>
public static class TenantStreams
{
    public static NatsJSContext PlatformContext(INatsConnection platformAdmin, TenantBus bus) =>
        new(platformAdmin, new NatsJSOpts(platformAdmin.Opts, apiPrefix: bus.PlatformJetStreamApiPrefix));

    /// <summary>Creates (or brings back to this configuration) stream <c>&lt;tenant&gt;</c> on <c>&lt;tenant&gt;.&gt;</c>, file storage, within the account's limits.</summary>
    public static async Task<StreamInfo> EnsureAsync(INatsConnection platformAdmin, TenantBus bus, JetStreamLimits limits, CancellationToken cancellationToken)
    {
        var js = PlatformContext(platformAdmin, bus);
        var stream = await js.CreateOrUpdateStreamAsync(Config(bus, limits), cancellationToken);
        return stream.Info;
    }

    public static StreamConfig Config(TenantBus bus, JetStreamLimits limits) => new(bus.StreamName, [bus.Subjects])
    {
        Storage = StreamConfigStorage.File,
        Retention = StreamConfigRetention.Limits,
        Discard = StreamConfigDiscard.Old,
        MaxBytes = limits.MaxStoreBytes,
        MaxConsumers = limits.MaxConsumers,
        NumReplicas = 1,
    };

    /// <summary>Deletes the tenant's stream; false when there was none.</summary>
    public static async Task<bool> DeleteAsync(INatsConnection platformAdmin, TenantBus bus, CancellationToken cancellationToken)
    {
        try
        {
            return await PlatformContext(platformAdmin, bus).DeleteStreamAsync(bus.StreamName, cancellationToken);
        }
        catch (NatsJSApiException error) when (error.Error.ErrCode == StreamNotFound)
        {
            return false;
        }
    }

    /// <summary>JetStream's error code for "stream not found" (nats-server errors.json, JSStreamNotFoundErr).</summary>
    public const int StreamNotFound = 10059;
}
