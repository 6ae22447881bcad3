using Docker.DotNet.Models;
using RunbookHost.Evidence;
using RunbookHost.Runbooks;
using RunbookHost.Tenants;

namespace RunbookHost.Network.Docker;

/// <summary>
/// The offline provider: per tenant an internal Docker network on the tenant's range with its own bridge, the host
/// firewall rules for that bridge, a named volume, and the workload containers, all labelled runbook-host.tenant=&lt;id&gt;.
/// See docs/network.md.
/// </summary>
public sealed class DockerNetworkProvider : INetworkProvider, IDisposable
{
    private const string P = NetworkProviders.Docker;
    private readonly DockerEngine engine;
    private readonly DockerNetworkSettings settings;
    private readonly DockerObjects objects;
    private readonly HostFirewall firewall;
    private readonly DockerVerifier verifier;

    public DockerNetworkProvider(NetworkSettings network, HostFirewall? hostFirewall = null)
    {
        settings = network.Docker;
        engine = new DockerEngine(settings.Endpoint);
        objects = new DockerObjects(engine, settings);
        firewall = hostFirewall ?? new HostFirewall();
        verifier = new DockerVerifier(engine, settings, objects, firewall, network.ProbeTimeoutSeconds, network.CrossTenantProbes);
    }

    public string Name => P;

    public IRunbookOperation CreateNetwork(TenantId tenant, NetworkLease lease) => new RunbookOperation(
        [$"docker network create --internal --subnet {lease.Describe} -o {DockerNames.BridgeOption}={DockerNames.Bridge(tenant)} --label {DockerNames.Selector(tenant)} {DockerNames.Network(tenant)}  (kept when it exists with exactly these properties)"],
        async ct => await objects.EnsureNetworkAsync(await lease.ResolveAsync(ct).ConfigureAwait(false), ct).ConfigureAwait(false),
        ct => objects.RemoveNetworkAsync(tenant, ct));

    public IRunbookOperation CreateFirewall(TenantId tenant, NetworkLease lease) => !settings.HostFirewall
        ? new SkippedOperation("the host firewall for tenant bridges is managed by the operator (Network__Docker__HostFirewall=false); verification still probes it")
        : new RunbookOperation(firewall.RulesFor(tenant).Select(r => r + "   (" + Why(r.Purpose) + ")").ToList(),
            ct => firewall.EnsureAsync(tenant, ct), ct => firewall.RemoveAsync(tenant, ct));

    public IRunbookOperation CreateVolume(TenantId tenant) => new RunbookOperation(
        [$"docker volume create --label {DockerNames.Selector(tenant)} {DockerNames.Volume(tenant)}"],
        ct => objects.EnsureVolumeAsync(tenant, ct), ct => objects.RemoveVolumeAsync(tenant, ct));

    public IRunbookOperation CreateCompute(TenantId tenant, NetworkLease lease) => new RunbookOperation(
        settings.EffectiveWorkloads.Select(w =>
            $"docker run -d --name {DockerNames.Container(tenant, w.Name)} --network {DockerNames.Network(tenant)} --network-alias {w.Name} --label {DockerNames.Selector(tenant)} "
            + $"--mount type=volume,src={DockerNames.Volume(tenant)},dst={DockerNames.MountPath(tenant)} --dns 127.0.0.1 --cap-drop ALL --read-only --restart unless-stopped "
            + $"{settings.Image} {string.Join(' ', w.Command).Replace("{mount}", DockerNames.MountPath(tenant), StringComparison.Ordinal)}  (the image is never pulled)").ToList(),
        ct => objects.EnsureWorkloadsAsync(tenant, ct), ct => objects.RemoveContainersAsync(tenant, ct));

    public IRunbookOperation PublishDns(TenantId tenant) =>
        new SkippedOperation($"offline mode: workloads are found by name on the tenant network (alias {string.Join(", ", settings.EffectiveWorkloads.Select(w => w.Name))}); no external DNS record");

    public IRunbookOperation Shutdown(TenantId tenant)
    {
        IReadOnlyList<string> stopped = [];
        return new RunbookOperation(
            [$"docker stop -t {settings.StopTimeoutSeconds} $(docker ps -q --filter label={DockerNames.Selector(tenant)})   (SIGTERM, killed after {settings.StopTimeoutSeconds} s)"],
            async ct => stopped = await objects.StopWorkloadsAsync(tenant, ct).ConfigureAwait(false),
            ct => objects.StartContainersAsync(stopped, ct));
    }

    public IRunbookOperation DeleteCompute(TenantId tenant) => new RunbookOperation(
        [$"docker rm -f $(docker ps -aq --filter label={DockerNames.Selector(tenant)})"], ct => objects.RemoveContainersAsync(tenant, ct));

    public IRunbookOperation DeleteNetwork(TenantId tenant) => new RunbookOperation(
        [$"docker network rm {DockerNames.Network(tenant)}   (only when labelled {DockerNames.Selector(tenant)}; absent is fine)"], ct => objects.RemoveNetworkAsync(tenant, ct));

    public IRunbookOperation DeleteFirewall(TenantId tenant) => !settings.HostFirewall
        ? new SkippedOperation("the host firewall for tenant bridges is managed by the operator (Network__Docker__HostFirewall=false)")
        : new RunbookOperation(firewall.RulesFor(tenant).Select(r => r.ToString().Replace(" -I ", " -D ", StringComparison.Ordinal).Replace($" {r.Chain} 1 ", $" {r.Chain} ", StringComparison.Ordinal)).ToList(),
            ct => firewall.RemoveAsync(tenant, ct));

    public IRunbookOperation DeleteVolume(TenantId tenant) => new RunbookOperation(
        [$"docker volume rm {DockerNames.Volume(tenant)}   (only when labelled {DockerNames.Selector(tenant)}; absent is fine)"], ct => objects.RemoveVolumeAsync(tenant, ct));

    public IRunbookOperation RemoveDns(TenantId tenant) => new SkippedOperation("offline mode: there is no external DNS record");

    public IReadOnlyList<string> DescribeVerify(TenantId tenant) =>
    [
        $"docker: {DockerNames.Network(tenant)} internal, subnet = the registry's range, bridge {DockerNames.Bridge(tenant)}, only the tenant's containers attached, workloads running, volume present" + (settings.HostFirewall ? ", host firewall rules present" : ""),
        $"probe container on {DockerNames.Network(tenant)}: own workloads by name and IP ALLOWED; other tenants' workloads (up to the configured number) by IP and by name DENIED",
        "no route out: TCP, UDP and ICMP to a listener this host opens on the bridge's own address DENIED (nothing else is contacted)",
    ];

    public Task<IReadOnlyList<CheckRecord>> VerifyAsync(TenantNetwork network, CancellationToken cancellationToken) =>
        verifier.VerifyAsync(network, cancellationToken);

    public async Task<IReadOnlyList<CheckRecord>> VerifyAbsentAsync(TenantId tenant, CancellationToken cancellationToken)
    {
        var client = await engine.ClientAsync(cancellationToken).ConfigureAwait(false);
        var filter = DockerEngine.LabelFilter(DockerNames.Selector(tenant));
        var containers = await objects.ListContainersAsync(tenant, cancellationToken).ConfigureAwait(false);
        var networks = await client.Networks.ListNetworksAsync(new NetworksListParameters { Filters = filter }, cancellationToken).ConfigureAwait(false);
        var volumes = (await client.Volumes.ListAsync(new VolumesListParameters { Filters = filter }, cancellationToken).ConfigureAwait(false)).Volumes ?? [];
        var checks = new List<CheckRecord>
        {
            NetworkChecks.Absence(P, "containers_absent", containers.Count == 0, $"containers labelled {DockerNames.Selector(tenant)}: {Names(containers.SelectMany(c => c.Names))}"),
            NetworkChecks.Absence(P, "networks_absent", networks.Count == 0, $"networks labelled {DockerNames.Selector(tenant)}: {Names(networks.Select(n => n.Name))}"),
            NetworkChecks.Absence(P, "volumes_absent", volumes.Count == 0, $"volumes labelled {DockerNames.Selector(tenant)}: {Names(volumes.Select(v => v.Name))}"),
        };
        if (settings.HostFirewall)
        {
            var left = (await firewall.CheckAsync(tenant, cancellationToken).ConfigureAwait(false)).Where(r => r.Present).ToList();
            checks.Add(NetworkChecks.Absence(P, "host_firewall_rules_absent", left.Count == 0, left.Count == 0 ? $"no rule for bridge {DockerNames.Bridge(tenant)}" : string.Join("; ", left.Select(r => r.Rule))));
        }
        return checks;
    }

    public Task<IReadOnlyList<CheckRecord>> VerifyFleetAsync(IReadOnlyList<TenantNetwork> networks, CancellationToken cancellationToken) =>
        new DockerFleetCheck(engine, firewall, settings.HostFirewall).RunAsync(networks, cancellationToken);

    public void Dispose() => engine.Dispose();

    private static string Names(IEnumerable<string> names)
    {
        var list = names.Select(n => n.TrimStart('/')).ToList();
        return list.Count == 0 ? "none" : string.Join(", ", list);
    }

    private static string Why(string purpose) => purpose switch
    {
        "host_input" => "the tenant cannot reach the Docker host or any service listening on it",
        "forward_out" => "nothing leaves the tenant bridge for another network",
        "forward_in" => "nothing from another network, another tenant's included, enters the tenant bridge",
        _ => "the same for IPv6 link-local traffic to the host",
    };
}
