using System.Text.RegularExpressions;

namespace RunbookHost.Network.Docker;

/// <summary>The docker provider (<c>RUNBOOKHOST_Network__Docker__*</c>). Not configured until <see cref="Image"/> is set: nothing is ever pulled.</summary>
public sealed partial class DockerNetworkSettings
{
    public const string DefaultEndpoint = "unix:///var/run/docker.sock";

    /// <summary>The engine: a unix socket (the default) or tcp:// URL. The no-route-out probe needs the engine on this host.</summary>
    public string Endpoint { get; set; } = DefaultEndpoint;

    /// <summary>The image of the tenant's workloads; must already be on the engine (scripts/busybox-image.sh builds one).</summary>
    public string Image { get; set; } = "";

    /// <summary>The image of the probe container (needs sh, nc, ping, tftp, timeout); defaults to <see cref="Image"/>.</summary>
    public string ProbeImage { get; set; } = "";

    /// <summary>The tenant's workload containers; empty means one "app" serving its volume with busybox httpd on 8080.</summary>
    public List<DockerWorkloadSettings> Workloads { get; set; } = [];

    /// <summary>
    /// Install the host firewall rules that close the tenant bridge's path to the Docker host and to every other network
    /// (iptables; needs root). Off only when the operator manages them: verification still probes the path.
    /// </summary>
    public bool HostFirewall { get; set; } = true;

    /// <summary>Seconds a workload gets to stop gracefully at deprovisioning before it is killed.</summary>
    public int StopTimeoutSeconds { get; set; } = 10;

    public bool IsConfigured => Image.Length > 0;

    public IReadOnlyList<DockerWorkloadSettings> EffectiveWorkloads => Workloads.Count > 0 ? Workloads : [DockerWorkloadSettings.Default];

    public string EffectiveProbeImage => ProbeImage.Length > 0 ? ProbeImage : Image;

    internal void Validate()
    {
        if (!Uri.TryCreate(Endpoint, UriKind.Absolute, out var uri) || uri.Scheme is not ("unix" or "tcp" or "http" or "https"))
            throw new ArgumentException("Network__Docker__Endpoint must be unix:///path/to/docker.sock or tcp://host:port");
        foreach (var (name, image) in new[] { ("Image", Image), ("ProbeImage", ProbeImage) })
        {
            if (image.Length > 0 && !ImageReference().IsMatch(image))
                throw new ArgumentException($"Network__Docker__{name} must be an image reference such as local/runbook-host-busybox:1");
        }
        if (StopTimeoutSeconds is < 0 or > 600)
            throw new ArgumentException("Network__Docker__StopTimeoutSeconds must be 0-600");
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var workload in Workloads)
        {
            if (!WorkloadName().IsMatch(workload.Name) || !names.Add(workload.Name))
                throw new ArgumentException("Network__Docker__Workloads: each workload needs a unique Name of 1-16 characters a-z, 0-9 and '-', starting with a letter");
            if (workload.Command.Count == 0 || workload.Command.Any(a => a.Contains('\0')))
                throw new ArgumentException($"Network__Docker__Workloads ({workload.Name}): Command must be a non-empty list of arguments");
            if (workload.Port is < 1 or > 65535)
                throw new ArgumentException($"Network__Docker__Workloads ({workload.Name}): Port must be 1-65535 (the port the probes connect to)");
        }
    }

    [GeneratedRegex(@"^[a-z0-9][a-z0-9._/-]{0,200}(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(@sha256:[0-9a-f]{64})?$")]
    private static partial Regex ImageReference();

    [GeneratedRegex("^[a-z][a-z0-9-]{0,15}$")]
    private static partial Regex WorkloadName();
}

/// <summary>One workload container of every tenant. <c>{mount}</c> in the command is the tenant's volume mount path.</summary>
public sealed class DockerWorkloadSettings
{
    public string Name { get; set; } = "";
    public List<string> Command { get; set; } = [];
    /// <summary>The TCP port it listens on: the tenant's own probe must reach it, every other tenant's must not.</summary>
    public int Port { get; set; }

    public static DockerWorkloadSettings Default { get; } = new() { Name = "app", Command = ["httpd", "-f", "-p", "8080", "-h", "{mount}"], Port = 8080 };
}
