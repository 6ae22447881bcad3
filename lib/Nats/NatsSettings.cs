namespace RunbookHost.Nats;

/// <summary>
/// The message bus (docs/nats.md): <c>RUNBOOKHOST_Nats__*</c>. Empty <see cref="Url"/> = not configured (its steps are
/// skipped and its checks incomplete for tenants that have it). The host writes <see cref="ConfigFile"/> and the
/// client-CA bundle beside it, and reloads the server whose pid is in <see cref="PidFile"/>.
/// </summary>
public sealed class NatsSettings
{
    /// <summary>Where clients connect, e.g. <c>tls://127.0.0.1:4222</c> (onboarding's nats.json carries it).</summary>
    public string Url { get; set; } = "";

    /// <summary>nats-server's configuration file, written by the host (lib/Nats/NatsConfigWriter.cs).</summary>
    public string ConfigFile { get; set; } = "";

    /// <summary>The client-CA bundle (tls.ca_file); empty = <c>client-ca.pem</c> beside <see cref="ConfigFile"/>.</summary>
    public string ClientCaFile { get; set; } = "";

    /// <summary>nats-server's pid file (the reload signal goes to its pid).</summary>
    public string PidFile { get; set; } = "";

    /// <summary>The monitoring endpoint, loopback only: /varz config_load_time confirms a reload.</summary>
    public string MonitorUrl { get; set; } = "http://127.0.0.1:8222/";

    /// <summary>The nats-server binary (for <c>nats-server -t</c>, the configuration check before a reload).</summary>
    public string ServerBinary { get; set; } = "nats-server";

    /// <summary>JetStream's store folder.</summary>
    public string StoreDir { get; set; } = "";

    public int ReloadTimeoutSeconds { get; set; } = 5;

    /// <summary>Each tenant account's JetStream limits.</summary>
    public long TenantMaxMemoryBytes { get; set; } = JetStreamLimits.Default.MaxMemoryBytes;
    public long TenantMaxStoreBytes { get; set; } = JetStreamLimits.Default.MaxStoreBytes;
    public int TenantMaxStreams { get; set; } = JetStreamLimits.Default.MaxStreams;
    public int TenantMaxConsumers { get; set; } = JetStreamLimits.Default.MaxConsumers;

    public bool IsConfigured => Url.Length > 0;

    public JetStreamLimits TenantLimits => new(TenantMaxMemoryBytes, TenantMaxStoreBytes, TenantMaxStreams, TenantMaxConsumers);

    public string EffectiveClientCaFile => ClientCaFile.Length > 0 || ConfigFile.Length == 0
        ? ClientCaFile
        : Path.Combine(Path.GetDirectoryName(Path.GetFullPath(ConfigFile))!, "client-ca.pem");

    /// <summary>Throws <see cref="ArgumentException"/> with a one-line reason naming the setting.</summary>
    public void Validate()
    {
        if (!IsConfigured)
            return;
        if (!Uri.TryCreate(Url, UriKind.Absolute, out var url) || url.Scheme != "tls" || url.Port < 1)
            throw new ArgumentException("Nats__Url must be tls://host:port (clients authenticate with certificates over TLS)");
        if (!Uri.TryCreate(MonitorUrl, UriKind.Absolute, out var monitor) || monitor.Scheme != "http" || !monitor.IsLoopback)
            throw new ArgumentException("Nats__MonitorUrl must be an http:// URL on the loopback address");
        foreach (var (name, value) in new[] { ("Nats__ConfigFile", ConfigFile), ("Nats__PidFile", PidFile), ("Nats__StoreDir", StoreDir) })
        {
            if (value.Length > 0 && !NatsConfigValue.IsQuotable(value, out var reason))
                throw new ArgumentException($"{name} is refused: {reason}");
            if (value.Length > 0 && !Path.IsPathFullyQualified(value))
                throw new ArgumentException($"{name} must be an absolute path");
        }
        if (ReloadTimeoutSeconds is < 1 or > 120)
            throw new ArgumentException("Nats__ReloadTimeoutSeconds must be 1-120");
        if (TenantMaxMemoryBytes < 1 || TenantMaxStoreBytes < 1 || TenantMaxStreams < 1 || TenantMaxConsumers < 1)
            throw new ArgumentException("Nats__TenantMax* limits must be positive");
    }
}
