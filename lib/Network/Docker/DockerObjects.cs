using System.Net;
using Docker.DotNet;
using Docker.DotNet.Models;
using RunbookHost.Tenants;

namespace RunbookHost.Network.Docker;

/// <summary>
/// Creates, finds and removes one tenant's Docker objects: its internal network, its volume, its workload containers.
/// Idempotent: an object that exists is checked (its tenant label, and for the network internal + subnet + bridge)
/// and reused; an object of that name that is not the tenant's is refused, never adopted or removed.
/// </summary>
internal sealed class DockerObjects(DockerEngine engine, DockerNetworkSettings settings)
{
    public async Task EnsureNetworkAsync(TenantNetwork network, CancellationToken ct)
    {
        var client = await engine.ClientAsync(ct).ConfigureAwait(false);
        var tenant = network.Tenant;
        var name = DockerNames.Network(tenant);
        var bridge = DockerNames.Bridge(tenant);
        if (await FindNetworkAsync(client, name, ct).ConfigureAwait(false) is { } existing)
        {
            if (Owner(existing.Labels) != tenant.Value || !existing.Internal || SubnetOf(existing) != network.Cidr
                || Option(existing.Options, DockerNames.BridgeOption) != bridge)
                throw new InvalidOperationException($"Docker network {name} exists but is not tenant {tenant}'s internal network on {network.Cidr} with bridge {bridge}: refusing to use it (remove it or investigate)");
            return;
        }
        var all = await client.Networks.ListNetworksAsync(new NetworksListParameters(), ct).ConfigureAwait(false);
        if (all.FirstOrDefault(n => Option(n.Options, DockerNames.BridgeOption) == bridge) is { } clash)
            throw new InvalidOperationException($"Docker network {clash.Name} already uses bridge {bridge}: refusing to share a bridge between networks");
        if (engine.IsLocal && HostRoutes.Conflict(network.Range, bridge, HostRoutes.Read()) is { } route)
            throw new InvalidOperationException($"tenant range {network.Cidr} overlaps the host route {route.Destination} on {route.Interface}: it would capture that traffic; choose another Network__Pool");
        await client.Networks.CreateNetworkAsync(new NetworksCreateParameters
        {
            Name = name,
            Driver = "bridge",
            Internal = true,
            Attachable = false,
            IPAM = new IPAM { Driver = "default", Config = [new IPAMConfig { Subnet = network.Cidr, Gateway = network.Gateway.ToString() }] },
            Options = new Dictionary<string, string> { [DockerNames.BridgeOption] = bridge, ["com.docker.network.bridge.enable_icc"] = "true" },
            Labels = DockerNames.Labels(tenant, DockerNames.Roles.Network),
        }, ct).ConfigureAwait(false);
    }

    public async Task EnsureVolumeAsync(TenantId tenant, CancellationToken ct)
    {
        var client = await engine.ClientAsync(ct).ConfigureAwait(false);
        var name = DockerNames.Volume(tenant);
        if (await FindVolumeAsync(client, name, ct).ConfigureAwait(false) is { } existing)
        {
            if (Owner(existing.Labels) != tenant.Value)
                throw new InvalidOperationException($"Docker volume {name} exists but is not labelled {DockerNames.Selector(tenant)}: refusing to use it");
            return;
        }
        await client.Volumes.CreateAsync(new VolumesCreateParameters { Name = name, Driver = "local", Labels = DockerNames.Labels(tenant, DockerNames.Roles.Volume) }, ct).ConfigureAwait(false);
    }

    public async Task EnsureWorkloadsAsync(TenantId tenant, CancellationToken ct)
    {
        var client = await engine.ClientAsync(ct).ConfigureAwait(false);
        try
        {
            await client.Images.InspectImageAsync(settings.Image, ct).ConfigureAwait(false);
        }
        catch (DockerApiException e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            throw new InvalidOperationException($"image {settings.Image} is not on the Docker engine, and runbook-host never pulls: build it (scripts/busybox-image.sh) or load it first");
        }
        foreach (var workload in settings.EffectiveWorkloads)
        {
            var name = DockerNames.Container(tenant, workload.Name);
            var existing = await FindContainerAsync(client, name, ct).ConfigureAwait(false);
            if (existing is not null && Owner(existing.Config?.Labels) != tenant.Value)
                throw new InvalidOperationException($"container {name} exists but is not labelled {DockerNames.Selector(tenant)}: refusing to use it");
            var id = existing?.ID ?? (await client.Containers.CreateContainerAsync(WorkloadParameters(tenant, workload), ct).ConfigureAwait(false)).ID;
            if (existing?.State?.Running != true)
                await client.Containers.StartContainerAsync(id, new ContainerStartParameters(), ct).ConfigureAwait(false);
        }
    }

    /// <summary>Graceful stop of every workload (SIGTERM, killed after Network__Docker__StopTimeoutSeconds). Returns the stopped ids.</summary>
    public async Task<IReadOnlyList<string>> StopWorkloadsAsync(TenantId tenant, CancellationToken ct)
    {
        var client = await engine.ClientAsync(ct).ConfigureAwait(false);
        var stopped = new List<string>();
        foreach (var container in await ListContainersAsync(tenant, ct).ConfigureAwait(false))
        {
            if (container.State != "running")
                continue;
            await client.Containers.StopContainerAsync(container.ID, new ContainerStopParameters { WaitBeforeKillSeconds = (uint)settings.StopTimeoutSeconds }, ct).ConfigureAwait(false);
            stopped.Add(container.ID);
        }
        return stopped;
    }

    public async Task StartContainersAsync(IEnumerable<string> ids, CancellationToken ct)
    {
        var client = await engine.ClientAsync(ct).ConfigureAwait(false);
        foreach (var id in ids)
            await client.Containers.StartContainerAsync(id, new ContainerStartParameters(), ct).ConfigureAwait(false);
    }

    /// <summary>Every container labelled with the tenant (workloads and any leftover probe), running or not.</summary>
    public async Task<IList<ContainerListResponse>> ListContainersAsync(TenantId tenant, CancellationToken ct)
    {
        var client = await engine.ClientAsync(ct).ConfigureAwait(false);
        return await client.Containers.ListContainersAsync(new ContainersListParameters { All = true, Filters = DockerEngine.LabelFilter(DockerNames.Selector(tenant)) }, ct).ConfigureAwait(false);
    }

    public async Task RemoveContainersAsync(TenantId tenant, CancellationToken ct)
    {
        var client = await engine.ClientAsync(ct).ConfigureAwait(false);
        foreach (var container in await ListContainersAsync(tenant, ct).ConfigureAwait(false))
            await IgnoreNotFound(() => client.Containers.RemoveContainerAsync(container.ID, new ContainerRemoveParameters { Force = true }, ct)).ConfigureAwait(false);
    }

    public async Task RemoveNetworkAsync(TenantId tenant, CancellationToken ct)
    {
        var client = await engine.ClientAsync(ct).ConfigureAwait(false);
        var name = DockerNames.Network(tenant);
        if (await FindNetworkAsync(client, name, ct).ConfigureAwait(false) is not { } network)
            return;
        if (Owner(network.Labels) != tenant.Value)
            throw new InvalidOperationException($"Docker network {name} is not labelled {DockerNames.Selector(tenant)}: refusing to remove it");
        await IgnoreNotFound(() => client.Networks.DeleteNetworkAsync(network.ID, ct)).ConfigureAwait(false);
    }

    public async Task RemoveVolumeAsync(TenantId tenant, CancellationToken ct)
    {
        var client = await engine.ClientAsync(ct).ConfigureAwait(false);
        var name = DockerNames.Volume(tenant);
        if (await FindVolumeAsync(client, name, ct).ConfigureAwait(false) is not { } volume)
            return;
        if (Owner(volume.Labels) != tenant.Value)
            throw new InvalidOperationException($"Docker volume {name} is not labelled {DockerNames.Selector(tenant)}: refusing to remove it");
        await IgnoreNotFound(() => client.Volumes.RemoveAsync(name, false, ct)).ConfigureAwait(false);
    }

    public static async Task<NetworkResponse?> FindNetworkAsync(DockerClient client, string name, CancellationToken ct)
    {
        // Inspect by name also matches an id prefix: list with an exact name filter instead, then inspect for containers.
        var found = await client.Networks.ListNetworksAsync(new NetworksListParameters
        {
            Filters = new Dictionary<string, IDictionary<string, bool>> { ["name"] = new Dictionary<string, bool> { [name] = true } },
        }, ct).ConfigureAwait(false);
        var match = found.FirstOrDefault(n => n.Name == name);
        return match is null ? null : await client.Networks.InspectNetworkAsync(match.ID, ct).ConfigureAwait(false);
    }

    public static string? SubnetOf(NetworkResponse network) => network.IPAM?.Config is [var config] ? config.Subnet : null;

    public static string? Owner(IDictionary<string, string>? labels) => Option(labels, DockerNames.TenantLabel);

    public static string? Option(IDictionary<string, string>? values, string key) =>
        values is not null && values.TryGetValue(key, out var value) ? value : null;

    private CreateContainerParameters WorkloadParameters(TenantId tenant, DockerWorkloadSettings workload)
    {
        var network = DockerNames.Network(tenant);
        var mount = DockerNames.MountPath(tenant);
        var labels = DockerNames.Labels(tenant, DockerNames.Roles.Workload);
        labels["runbook-host.workload"] = workload.Name;
        return new CreateContainerParameters
        {
            Name = DockerNames.Container(tenant, workload.Name),
            Image = settings.Image,
            Hostname = workload.Name,
            Cmd = workload.Command.Select(a => a.Replace("{mount}", mount, StringComparison.Ordinal)).ToList(),
            Labels = labels,
            HostConfig = new HostConfig
            {
                NetworkMode = network,
                Mounts = [new Mount { Type = "volume", Source = DockerNames.Volume(tenant), Target = mount }],
                RestartPolicy = new RestartPolicy { Name = RestartPolicyKind.UnlessStopped },
                // Names of the tenant's own containers are answered by Docker's embedded DNS; nothing else is forwarded out.
                DNS = ["127.0.0.1"],
                CapDrop = ["ALL"],
                SecurityOpt = ["no-new-privileges"],
                ReadonlyRootfs = true,
            },
            NetworkingConfig = new NetworkingConfig { EndpointsConfig = new Dictionary<string, EndpointSettings> { [network] = new() { Aliases = [workload.Name] } } },
        };
    }

    private static async Task<ContainerInspectResponse?> FindContainerAsync(DockerClient client, string name, CancellationToken ct)
    {
        try { return await client.Containers.InspectContainerAsync(name, ct).ConfigureAwait(false); }
        catch (DockerApiException e) when (e.StatusCode == HttpStatusCode.NotFound) { return null; }
    }

    private static async Task<VolumeResponse?> FindVolumeAsync(DockerClient client, string name, CancellationToken ct)
    {
        try { return await client.Volumes.InspectAsync(name, ct).ConfigureAwait(false); }
        catch (DockerApiException e) when (e.StatusCode == HttpStatusCode.NotFound) { return null; }
    }

    private static async Task IgnoreNotFound(Func<Task> action)
    {
        try { await action().ConfigureAwait(false); }
        catch (DockerApiException e) when (e.StatusCode == HttpStatusCode.NotFound) { }
    }
}
