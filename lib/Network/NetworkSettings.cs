namespace RunbookHost.Network;

/// <summary>
/// Network and compute isolation per tenant (docs/network.md): <c>RUNBOOKHOST_Network__*</c>.
/// The provider is chosen here; each provider is configured in its own section (Network:Docker, Hetzner).
/// </summary>
public sealed class NetworkSettings
{
    /// <summary>docker (offline, the default: active once Network:Docker:Image is set), hetzner (online), or off.</summary>
    public string Provider { get; set; } = NetworkProviders.Docker;

    /// <summary>The pool tenants' ranges come from (see <see cref="NetworkPool"/>): also the pg_hba network of each tenant.</summary>
    public string Pool { get; set; } = NetworkPool.DefaultTemplate;

    /// <summary>Seconds a single live probe may take (connect timeout of each probe from the tenant's side).</summary>
    public int ProbeTimeoutSeconds { get; set; } = 2;

    /// <summary>How many other tenants each tenant's verification probes (at random): constant, so a fleet run stays linear.</summary>
    public int CrossTenantProbes { get; set; } = 3;

    public Docker.DockerNetworkSettings Docker { get; set; } = new();

    /// <summary>Throws <see cref="ArgumentException"/> with a one-line reason naming the setting.</summary>
    public NetworkPool Validate()
    {
        if (Provider is not (NetworkProviders.Docker or NetworkProviders.Hetzner or NetworkProviders.Off))
            throw new ArgumentException($"Network__Provider must be {NetworkProviders.Docker}, {NetworkProviders.Hetzner} or {NetworkProviders.Off}");
        if (ProbeTimeoutSeconds is < 1 or > 30)
            throw new ArgumentException("Network__ProbeTimeoutSeconds must be 1-30");
        if (CrossTenantProbes is < 0 or > 20)
            throw new ArgumentException("Network__CrossTenantProbes must be 0-20");
        Docker.Validate();
        try
        {
            return NetworkPool.Create(Pool);
        }
        catch (ArgumentException error)
        {
            throw new ArgumentException($"Network__Pool: {error.Message}");
        }
    }
}

/// <summary>The values of Network:Provider.</summary>
public static class NetworkProviders
{
    public const string Docker = "docker";
    public const string Hetzner = "hetzner";
    public const string Off = "off";
}
