using RunbookHost.Evidence;
using RunbookHost.Runbooks;
using RunbookHost.Tenants;

namespace RunbookHost.Network.Hetzner;

/// <summary>
/// The online provider on the Hetzner Cloud API: per tenant a private network and subnet on the tenant's range, a
/// firewall with the summary's rules (explicit outbound set), a volume mounted at /mnt/tenant-&lt;id&gt;, and a server
/// created with all three plus labels and user_data; a DNS record through a pluggable <see cref="IDnsRecordPublisher"/>.
/// Deprovisioning: graceful shutdown (power off after the timeout), then server, network, firewall, volume.
/// </summary>
public sealed class HetznerNetworkProvider : INetworkProvider, IDisposable
{
    private const string P = NetworkProviders.Hetzner;
    private readonly HetznerClient client;
    private readonly HetznerSettings settings;
    private readonly HetznerResources resources;
    private readonly HetznerVerifier verifier;
    private readonly IDnsRecordPublisher? dns;
    private readonly TimeProvider clock;

    public HetznerNetworkProvider(HetznerSettings settings, NetworkSettings network, TimeProvider clock, HttpMessageHandler? handler = null, IDnsRecordPublisher? dns = null)
    {
        this.settings = settings;
        this.clock = clock;
        this.dns = dns;
        client = new HetznerClient(settings, clock, handler);
        resources = new HetznerResources(client, new HetznerActions(client, settings, clock), settings);
        verifier = new HetznerVerifier(client, resources, settings, network.CrossTenantProbes);
    }

    public string Name => P;

    public HetznerClient Client => client;

    public IRunbookOperation CreateNetwork(TenantId tenant, NetworkLease lease) => new RunbookOperation(
        [$"POST /networks {{name: {HetznerResources.Name(tenant)}, ip_range: {lease.Describe}, subnets: [{{type: cloud, ip_range: {lease.Describe}, network_zone: {settings.NetworkZone}}}], labels: {{tenant: {tenant}, managed-by: runbook-host}}}}  (kept when GET /networks?label_selector={HetznerResources.Selector(tenant)} finds it on that range)"],
        async ct => await resources.EnsureNetworkAsync(await lease.ResolveAsync(ct).ConfigureAwait(false), ct).ConfigureAwait(false),
        ct => resources.DeleteNetworkAsync(tenant, ct));

    public IRunbookOperation CreateFirewall(TenantId tenant, NetworkLease lease) => new RunbookOperation(
        [$"POST /firewalls {{name: {HetznerResources.Name(tenant)}, labels: {{tenant: {tenant}}}, rules:", .. RuleLines(tenant, lease.Describe),
         "}  (set_rules when it exists with other rules; outbound rules always present: with none, Hetzner accepts all outbound traffic, Pitfall 4)"],
        async ct => await resources.EnsureFirewallAsync(await lease.ResolveAsync(ct).ConfigureAwait(false), ct).ConfigureAwait(false),
        ct => resources.DeleteFirewallAsync(tenant, ct));

    public IRunbookOperation CreateVolume(TenantId tenant) => new RunbookOperation(
        [$"POST /volumes {{name: {HetznerResources.Name(tenant)}, size: {settings.VolumeSizeGb}, location: {settings.Location}, format: ext4, automount: false, labels: {{tenant: {tenant}}}}}; wait for its actions"],
        ct => resources.EnsureVolumeAsync(tenant, ct), ct => resources.DeleteVolumeAsync(tenant, ct));

    public IRunbookOperation CreateCompute(TenantId tenant, NetworkLease lease) => new RunbookOperation(
        [$"POST /servers {{name: {HetznerResources.Name(tenant)}, server_type: {settings.ServerType}, image: {settings.Image}, location: {settings.Location}, labels: {{tenant: {tenant}, managed-by: runbook-host}}, "
         + $"networks: [the tenant network], firewalls: [the tenant firewall], volumes: [the tenant volume], automount: false, start_after_create: true, ssh_keys: [{string.Join(", ", settings.SshKeys)}], "
         + $"user_data: cloud-init mounting the volume at /mnt/tenant-{tenant}}}; poll its actions with backoff (up to {settings.ActionTimeoutSeconds} s)  (kept when GET /servers?label_selector={HetznerResources.Selector(tenant)} finds it)"],
        async ct => await resources.EnsureServerAsync(await lease.ResolveAsync(ct).ConfigureAwait(false), ct).ConfigureAwait(false),
        ct => resources.DeleteServerAsync(tenant, ct));

    public IRunbookOperation PublishDns(TenantId tenant)
    {
        if (settings.DnsZone.Length == 0)
            return new SkippedOperation("no DNS zone configured (RUNBOOKHOST_Hetzner__DnsZone)");
        var shown = $"{HetznerResources.Name(tenant)}.{settings.DnsZone} 300 IN A <the server's public IPv4>";
        if (dns is null)
            return new SkippedOperation($"no DNS integration is plugged in (IDnsRecordPublisher); the record would be: {shown}");
        return new RunbookOperation([$"{dns.Name}: upsert {shown}"],
            async ct => await dns.UpsertAsync(await RecordAsync(tenant, ct).ConfigureAwait(false), ct).ConfigureAwait(false),
            async ct => await dns.RemoveAsync(await RecordAsync(tenant, ct).ConfigureAwait(false), ct).ConfigureAwait(false));
    }

    public IRunbookOperation Shutdown(TenantId tenant)
    {
        var stopped = new List<long>();
        return new RunbookOperation(
            [$"POST /servers/{{id}}/actions/shutdown for the server labelled {HetznerResources.Selector(tenant)} (ACPI); after {settings.ShutdownTimeoutSeconds} s still running: POST /servers/{{id}}/actions/poweroff"],
            async ct => stopped.AddRange(await new HetznerShutdown(client, resources, settings, clock).StopAsync(tenant, ct).ConfigureAwait(false)),
            ct => new HetznerShutdown(client, resources, settings, clock).PowerOnAsync(stopped, ct));
    }

    public IRunbookOperation DeleteCompute(TenantId tenant) => new RunbookOperation(
        [$"DELETE /servers/{{id}} for every server labelled {HetznerResources.Selector(tenant)}; wait for the action"], ct => resources.DeleteServerAsync(tenant, ct));

    public IRunbookOperation DeleteNetwork(TenantId tenant) => new RunbookOperation(
        [$"DELETE /networks/{{id}} for every network labelled {HetznerResources.Selector(tenant)}"], ct => resources.DeleteNetworkAsync(tenant, ct));

    public IRunbookOperation DeleteFirewall(TenantId tenant) => new RunbookOperation(
        [$"POST /firewalls/{{id}}/actions/remove_from_resources (if still applied), then DELETE /firewalls/{{id}} for every firewall labelled {HetznerResources.Selector(tenant)}"],
        ct => resources.DeleteFirewallAsync(tenant, ct));

    public IRunbookOperation DeleteVolume(TenantId tenant) => new RunbookOperation(
        [$"POST /volumes/{{id}}/actions/detach (if attached), then DELETE /volumes/{{id}} for every volume labelled {HetznerResources.Selector(tenant)}"],
        ct => resources.DeleteVolumeAsync(tenant, ct));

    public IRunbookOperation RemoveDns(TenantId tenant) => settings.DnsZone.Length == 0 || dns is null
        ? new SkippedOperation(settings.DnsZone.Length == 0 ? "no DNS zone configured (RUNBOOKHOST_Hetzner__DnsZone)" : "no DNS integration is plugged in (IDnsRecordPublisher)")
        : new RunbookOperation([$"{dns.Name}: remove {HetznerResources.Name(tenant)}.{settings.DnsZone} A"],
            ct => dns.RemoveAsync(new TenantDnsRecord($"{HetznerResources.Name(tenant)}.{settings.DnsZone}", "A", "", 300), ct));

    public IReadOnlyList<string> DescribeVerify(TenantId tenant) =>
    [
        $"hetzner: GET /networks, /servers, /volumes, /firewalls?label_selector={HetznerResources.Selector(tenant)}: network on the registry's range, server on it only, volume attached, tenant firewall applied",
        "read back every firewall applied to the server; evaluate with the firewall model (inbound default deny; outbound default accept only when no outbound rule exists): each expected ALLOW and DENY of the summary is one check, Pitfall 4 its own",
    ];

    public Task<IReadOnlyList<CheckRecord>> VerifyAsync(TenantNetwork network, CancellationToken cancellationToken) => verifier.VerifyAsync(network, cancellationToken);

    public async Task<IReadOnlyList<CheckRecord>> VerifyAbsentAsync(TenantId tenant, CancellationToken cancellationToken)
    {
        var selector = HetznerResources.Selector(tenant);
        var servers = await resources.ServersAsync(selector, cancellationToken).ConfigureAwait(false);
        var networks = await resources.NetworksAsync(selector, cancellationToken).ConfigureAwait(false);
        var firewalls = await resources.FirewallsAsync(selector, cancellationToken).ConfigureAwait(false);
        var volumes = await resources.VolumesAsync(selector, cancellationToken).ConfigureAwait(false);
        return
        [
            NetworkChecks.Absence(P, "servers_absent", servers.Count == 0, $"servers labelled {selector}: {Names(servers.Select(s => s.Name))}"),
            NetworkChecks.Absence(P, "networks_absent", networks.Count == 0, $"networks labelled {selector}: {Names(networks.Select(s => s.Name))}"),
            NetworkChecks.Absence(P, "firewalls_absent", firewalls.Count == 0, $"firewalls labelled {selector}: {Names(firewalls.Select(s => s.Name))}"),
            NetworkChecks.Absence(P, "volumes_absent", volumes.Count == 0, $"volumes labelled {selector}: {Names(volumes.Select(s => s.Name))}"),
        ];
    }

    public Task<IReadOnlyList<CheckRecord>> VerifyFleetAsync(IReadOnlyList<TenantNetwork> networks, CancellationToken cancellationToken) =>
        new HetznerFleetCheck(resources, client).RunAsync(networks, cancellationToken);

    public void Dispose() => client.Dispose();

    private IEnumerable<string> RuleLines(TenantId tenant, string range)
    {
        var example = new TenantNetwork(tenant, "", 0, System.Net.IPNetwork.Parse("10.0.0.0/8"));
        return HetznerFirewallRules.For(settings, example).Select(r =>
            $"  {r.Direction} {r.Protocol}{(r.Port is null ? "" : " " + r.Port)} {(r.Direction == "in" ? "from" : "to")} "
            + string.Join(",", (r.SourceIps ?? r.DestinationIps ?? []).Select(c => c == "10.0.0.0/8" ? range : c)) + $"   ({r.Description})");
    }

    private async Task<TenantDnsRecord> RecordAsync(TenantId tenant, CancellationToken ct)
    {
        var server = (await resources.ServersAsync(HetznerResources.Selector(tenant), ct).ConfigureAwait(false)).FirstOrDefault()
            ?? throw new InvalidOperationException($"no server labelled {HetznerResources.Selector(tenant)} to point the DNS record at");
        return new TenantDnsRecord($"{HetznerResources.Name(tenant)}.{settings.DnsZone}", "A", server.PublicNet.Ipv4?.Ip ?? throw new InvalidOperationException("the server has no public IPv4"), 300);
    }

    private static string Names(IEnumerable<string> names)
    {
        var list = names.ToList();
        return list.Count == 0 ? "none" : string.Join(", ", list);
    }
}
