using Docker.DotNet.Models;
using RunbookHost.Evidence;
using RunbookHost.Tenants;

namespace RunbookHost.Network.Docker;

/// <summary>
/// Verifies one tenant on the engine: the catalog (network internal, subnet = the registry's range, its own bridge,
/// nothing foreign attached, workloads running on this network only, volume, host firewall rules), then live probes
/// from a container on the tenant's network: its own workloads reachable by name and IP; up to N other tenants'
/// workloads unreachable by IP and by name; and no route out, to a listener on the bridge's own address (TCP, UDP, ICMP).
/// </summary>
internal sealed class DockerVerifier(DockerEngine engine, DockerNetworkSettings settings, DockerObjects objects, HostFirewall firewall, int timeoutSeconds, int crossTenantProbes)
{
    private const string P = NetworkProviders.Docker;

    public async Task<IReadOnlyList<CheckRecord>> VerifyAsync(TenantNetwork expected, CancellationToken ct)
    {
        var tenant = expected.Tenant;
        var client = await engine.ClientAsync(ct).ConfigureAwait(false);
        var checks = new List<CheckRecord>();
        var name = DockerNames.Network(tenant);
        var network = await DockerObjects.FindNetworkAsync(client, name, ct).ConfigureAwait(false);
        if (network is null)
            return [NetworkChecks.Fact(P, "network_exists", false, $"no Docker network {name}")];
        checks.Add(NetworkChecks.Fact(P, "network_internal", network.Internal && DockerObjects.Owner(network.Labels) == tenant.Value,
            $"{name}: internal={network.Internal}, {DockerNames.TenantLabel}={DockerObjects.Owner(network.Labels) ?? "(none)"}"));
        checks.Add(NetworkChecks.Fact(P, "network_subnet", DockerObjects.SubnetOf(network) == expected.Cidr,
            $"{name}: subnet {DockerObjects.SubnetOf(network) ?? "(none)"}, registry {expected.Cidr}"));
        var bridge = DockerObjects.Option(network.Options, DockerNames.BridgeOption);
        checks.Add(NetworkChecks.Fact(P, "network_bridge", bridge == DockerNames.Bridge(tenant), $"{name}: bridge {bridge ?? "(docker default)"}"));
        var foreign = network.Containers?.Values.Select(e => e.Name).ToList() ?? [];
        var containers = await objects.ListContainersAsync(tenant, ct).ConfigureAwait(false);
        var own = containers.SelectMany(c => c.Names).Select(n => n.TrimStart('/')).ToHashSet(StringComparer.Ordinal);
        foreign.RemoveAll(own.Contains);
        checks.Add(NetworkChecks.Fact(P, "no_foreign_container_attached", foreign.Count == 0,
            foreign.Count == 0 ? $"{name}: only the tenant's containers are attached" : $"{name}: attached and not the tenant's: {string.Join(", ", foreign)}"));
        var workloads = new List<(DockerWorkloadSettings Workload, string? Ip)>();
        foreach (var workload in settings.EffectiveWorkloads)
        {
            var container = containers.FirstOrDefault(c => c.Names.Contains("/" + DockerNames.Container(tenant, workload.Name)));
            var networks = container?.NetworkSettings?.Networks?.Keys.ToList() ?? [];
            var ip = container?.NetworkSettings?.Networks?.TryGetValue(name, out var endpoint) == true ? endpoint.IPAddress : null;
            checks.Add(NetworkChecks.Fact(P, $"workload_{workload.Name}_running_on_tenant_network_only",
                container?.State == "running" && networks is [var only] && only == name,
                $"{DockerNames.Container(tenant, workload.Name)}: {container?.State ?? "absent"}, networks [{string.Join(", ", networks)}]"));
            workloads.Add((workload, ip));
        }
        var volume = DockerNames.Volume(tenant);
        var volumes = await client.Volumes.ListAsync(new VolumesListParameters { Filters = DockerEngine.LabelFilter(DockerNames.Selector(tenant)) }, ct).ConfigureAwait(false);
        checks.Add(NetworkChecks.Fact(P, "volume_present", volumes.Volumes?.Any(v => v.Name == volume) == true, $"volume {volume}"));
        if (settings.HostFirewall)
        {
            foreach (var (rule, present) in await firewall.CheckAsync(tenant, ct).ConfigureAwait(false))
                checks.Add(NetworkChecks.Fact(P, $"host_firewall_{rule.Purpose}", present, rule.ToString()));
        }
        checks.AddRange(await ProbeAsync(expected, workloads, ct).ConfigureAwait(false));
        return checks;
    }

    private async Task<IReadOnlyList<CheckRecord>> ProbeAsync(TenantNetwork expected, List<(DockerWorkloadSettings Workload, string? Ip)> workloads, CancellationToken ct)
    {
        var tenant = expected.Tenant;
        var targets = new List<DockerProbe.Target>();
        foreach (var (workload, ip) in workloads)
        {
            targets.Add(new($"own_{workload.Name}_name", workload.Name, workload.Port));
            if (ip is { Length: > 0 })
                targets.Add(new($"own_{workload.Name}_ip", ip, workload.Port));
        }
        var others = await OtherWorkloadsAsync(tenant, ct).ConfigureAwait(false);
        foreach (var (other, container, ip, port) in others)
        {
            targets.Add(new($"other_{other}_ip", ip, port));
            targets.Add(new($"other_{other}_name", container, port));
        }
        var (listener, whyNot) = engine.IsLocal ? GatewayListener.TryStart(expected.Gateway, expected.Range) : (null, $"the Docker engine is remote ({engine.Endpoint}): the no-route-out listener must run on the engine's host");
        var checks = new List<CheckRecord>();
        await using (listener)
        {
            DockerProbe.Target[] gatewayTcp = listener is null ? [] : [new("gateway_tcp", expected.Gateway.ToString(), listener.TcpPort)];
            var outcomes = await new DockerProbe(engine, settings, timeoutSeconds)
                .RunAsync(tenant, [.. targets, .. gatewayTcp], listener is null ? null : (expected.Gateway.ToString(), listener.UdpPort), ct).ConfigureAwait(false);
            if (listener is not null)
                await Task.Delay(200, ct).ConfigureAwait(false); // a datagram still in flight reaches the listener
            foreach (var target in targets)
            {
                var seen = outcomes.GetValueOrDefault(target.Key);
                var own = target.Key.StartsWith("own_", StringComparison.Ordinal);
                checks.Add(seen is null
                    ? NetworkChecks.Incomplete(P, target.Key, $"the probe printed no result for {target.Host}:{target.Port}")
                    : NetworkChecks.Reach(P, own ? $"reach_{target.Key[4..]}" : $"cross_tenant_{target.Key[6..]}", own, seen.Open, $"{target.Host}:{target.Port} from {DockerNames.Network(tenant)}: {seen.Detail}"));
            }
            if (others.Count == 0)
                checks.Add(CheckRecord.Skipped(NetworkChecks.Store, "cross_tenant", "no other tenant's workload runs on this engine"));
            if (listener is null)
            {
                checks.Add(NetworkChecks.Incomplete(P, "no_route_out", whyNot!));
                return checks;
            }
            var gw = expected.Gateway;
            var tcpOpen = outcomes.GetValueOrDefault("gateway_tcp")?.Open == true || listener.TcpAccepted > 0;
            checks.Add(NetworkChecks.Reach(P, "no_route_out_tcp", false, tcpOpen, $"{gw}:{listener.TcpPort} (listener on the bridge address): accepted {listener.TcpAccepted}, probe {outcomes.GetValueOrDefault("gateway_tcp")?.Detail}"));
            checks.Add(NetworkChecks.Reach(P, "no_route_out_udp", false, listener.UdpReceived > 0, $"{gw}:{listener.UdpPort} (listener on the bridge address): received {listener.UdpReceived} datagram(s)"));
            checks.Add(NetworkChecks.Reach(P, "no_route_out_icmp", false, outcomes.GetValueOrDefault("gateway_icmp")?.Open == true, $"ping {gw}: {outcomes.GetValueOrDefault("gateway_icmp")?.Detail}"));
        }
        return checks;
    }

    /// <summary>Up to N other tenants (at random), each with one workload: its container name, its IP on its own network, its port.</summary>
    private async Task<List<(string Tenant, string Container, string Ip, int Port)>> OtherWorkloadsAsync(TenantId tenant, CancellationToken ct)
    {
        var client = await engine.ClientAsync(ct).ConfigureAwait(false);
        var all = await client.Containers.ListContainersAsync(new ContainersListParameters
        {
            Filters = DockerEngine.LabelFilter($"{DockerNames.RoleLabel}={DockerNames.Roles.Workload}"),
        }, ct).ConfigureAwait(false);
        var ports = settings.EffectiveWorkloads.ToDictionary(w => w.Name, w => w.Port);
        return all
            .Select(c => (Owner: DockerObjects.Owner(c.Labels), Workload: DockerObjects.Option(c.Labels, "runbook-host.workload"), Container: c))
            .Where(c => c.Owner is not null && c.Owner != tenant.Value && TenantId.TryParse(c.Owner, out _, out _) && c.Workload is not null && ports.ContainsKey(c.Workload))
            .GroupBy(c => c.Owner!)
            .OrderBy(_ => Random.Shared.Next())
            .Take(crossTenantProbes)
            .Select(g => g.First())
            .Select(c => (Tenant: c.Owner!, Name: DockerNames.Container(TenantId.Parse(c.Owner!), c.Workload!),
                Ip: c.Container.NetworkSettings?.Networks?.TryGetValue(DockerNames.Network(TenantId.Parse(c.Owner!)), out var e) == true ? e.IPAddress : null,
                Port: ports[c.Workload!]))
            .Where(c => !string.IsNullOrEmpty(c.Ip))
            .Select(c => (c.Tenant, c.Name, c.Ip!, c.Port))
            .ToList();
    }
}
