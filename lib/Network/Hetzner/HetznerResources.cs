using RunbookHost.Tenants;

namespace RunbookHost.Network.Hetzner;

/// <summary>
/// Finds, creates and deletes one tenant's Hetzner resources. Idempotent by label selector <c>tenant=&lt;id&gt;</c> and
/// name <c>tenant-&lt;id&gt;</c>: what exists is checked and reused; a labelled resource that does not match (another range,
/// another name) is refused, never adopted. Every create and delete waits for its actions.
/// </summary>
public sealed class HetznerResources(HetznerClient client, HetznerActions actions, HetznerSettings settings)
{
    public static string Name(TenantId tenant) => $"tenant-{tenant}";

    public static string Selector(TenantId tenant) => $"tenant={tenant}";

    public static Dictionary<string, string> Labels(TenantId tenant) => new(StringComparer.Ordinal) { ["tenant"] = tenant.Value, ["managed-by"] = "runbook-host" };

    public Task<List<HNetwork>> NetworksAsync(string selector, CancellationToken ct) =>
        client.ListAsync<HNetworkList, HNetwork>($"networks?label_selector={Uri.EscapeDataString(selector)}", p => p.Networks, p => p.Meta, ct);

    public Task<List<HFirewall>> FirewallsAsync(string selector, CancellationToken ct) =>
        client.ListAsync<HFirewallList, HFirewall>($"firewalls?label_selector={Uri.EscapeDataString(selector)}", p => p.Firewalls, p => p.Meta, ct);

    public Task<List<HVolume>> VolumesAsync(string selector, CancellationToken ct) =>
        client.ListAsync<HVolumeList, HVolume>($"volumes?label_selector={Uri.EscapeDataString(selector)}", p => p.Volumes, p => p.Meta, ct);

    public Task<List<HServer>> ServersAsync(string selector, CancellationToken ct) =>
        client.ListAsync<HServerList, HServer>($"servers?label_selector={Uri.EscapeDataString(selector)}", p => p.Servers, p => p.Meta, ct);

    public async Task<HNetwork> EnsureNetworkAsync(TenantNetwork network, CancellationToken ct)
    {
        var tenant = network.Tenant;
        if (One(await NetworksAsync(Selector(tenant), ct).ConfigureAwait(false), tenant, "network") is { } existing)
        {
            if (existing.IpRange != network.Cidr || !existing.Subnets.Any(s => s.IpRange == network.Cidr))
                throw new InvalidOperationException($"Hetzner network {existing.Name} ({existing.Id}) has ip_range {existing.IpRange}, the registry says {network.Cidr}: refusing to use it");
            return existing;
        }
        var created = await client.PostAsync<HNetworkResponse>("networks", new HNetworkCreate(Name(tenant), network.Cidr,
            [new HSubnet("cloud", network.Cidr, settings.NetworkZone)], Labels(tenant)), ct).ConfigureAwait(false);
        return created.Network;
    }

    public async Task<HFirewall> EnsureFirewallAsync(TenantNetwork network, CancellationToken ct)
    {
        var tenant = network.Tenant;
        var rules = HetznerFirewallRules.For(settings, network);
        if (One(await FirewallsAsync(Selector(tenant), ct).ConfigureAwait(false), tenant, "firewall") is { } existing)
        {
            if (!SameRules(existing.Rules, rules))
                await actions.WaitAsync((await client.PostAsync<HActionsResponse>($"firewalls/{existing.Id}/actions/set_rules", new HSetRules(rules), ct).ConfigureAwait(false)).Actions, ct).ConfigureAwait(false);
            return existing;
        }
        var created = await client.PostAsync<HFirewallResponse>("firewalls", new HFirewallCreate(Name(tenant), Labels(tenant), rules), ct).ConfigureAwait(false);
        await actions.WaitAsync(created.Actions ?? [], ct).ConfigureAwait(false);
        return created.Firewall;
    }

    public async Task<HVolume> EnsureVolumeAsync(TenantId tenant, CancellationToken ct)
    {
        if (One(await VolumesAsync(Selector(tenant), ct).ConfigureAwait(false), tenant, "volume") is { } existing)
            return existing;
        var created = await client.PostAsync<HVolumeResponse>("volumes",
            new HVolumeCreate(Name(tenant), settings.VolumeSizeGb, settings.Location, Labels(tenant), "ext4", Automount: false), ct).ConfigureAwait(false);
        await WaitOrDeleteAsync([created.Action, .. created.NextActions ?? []], $"volumes/{created.Volume.Id}", ct).ConfigureAwait(false);
        return created.Volume;
    }

    public async Task<HServer> EnsureServerAsync(TenantNetwork network, CancellationToken ct)
    {
        var tenant = network.Tenant;
        if (One(await ServersAsync(Selector(tenant), ct).ConfigureAwait(false), tenant, "server") is { } existing)
            return existing;
        var net = One(await NetworksAsync(Selector(tenant), ct).ConfigureAwait(false), tenant, "network") ?? throw Missing(tenant, "network");
        var firewall = One(await FirewallsAsync(Selector(tenant), ct).ConfigureAwait(false), tenant, "firewall") ?? throw Missing(tenant, "firewall");
        var volume = One(await VolumesAsync(Selector(tenant), ct).ConfigureAwait(false), tenant, "volume") ?? throw Missing(tenant, "volume");
        var created = await client.PostAsync<HServerResponse>("servers", new HServerCreate(Name(tenant), settings.ServerType, settings.Image, settings.Location,
            Labels(tenant), [net.Id], [new HServerFirewallRef(firewall.Id)], [volume.Id], Automount: false, UserData(tenant, volume),
            StartAfterCreate: true, settings.SshKeys.Count == 0 ? null : settings.SshKeys), ct).ConfigureAwait(false);
        await WaitOrDeleteAsync([created.Action, .. created.NextActions ?? []], $"servers/{created.Server.Id}", ct).ConfigureAwait(false);
        return created.Server;
    }

    /// <summary>cloud-init that mounts the tenant's volume at /mnt/tenant-&lt;id&gt; (the mount convention), by its stable device path.</summary>
    public static string UserData(TenantId tenant, HVolume volume) => $"""
        #cloud-config
        # runbook-host: tenant {tenant}
        mounts:
          - ["{volume.LinuxDevice ?? $"/dev/disk/by-id/scsi-0HC_Volume_{volume.Id}"}", "/mnt/tenant-{tenant}", "ext4", "discard,nofail,defaults", "0", "0"]
        """ + "\n";

    public async Task DeleteServerAsync(TenantId tenant, CancellationToken ct)
    {
        foreach (var server in await ServersAsync(Selector(tenant), ct).ConfigureAwait(false))
            await actions.WaitAsync([await client.DeleteAsync($"servers/{server.Id}", ct).ConfigureAwait(false)], ct).ConfigureAwait(false);
    }

    public async Task DeleteVolumeAsync(TenantId tenant, CancellationToken ct)
    {
        foreach (var volume in await VolumesAsync(Selector(tenant), ct).ConfigureAwait(false))
        {
            if (volume.Server is not null)
                await actions.WaitAsync((await client.PostAsync<HActionResponse>($"volumes/{volume.Id}/actions/detach", new { }, ct).ConfigureAwait(false)).Action, ct).ConfigureAwait(false);
            await client.DeleteAsync($"volumes/{volume.Id}", ct).ConfigureAwait(false);
        }
    }

    public async Task DeleteFirewallAsync(TenantId tenant, CancellationToken ct)
    {
        foreach (var firewall in await FirewallsAsync(Selector(tenant), ct).ConfigureAwait(false))
        {
            if (firewall.AppliedTo.Count > 0)
                await actions.WaitAsync((await client.PostAsync<HActionsResponse>($"firewalls/{firewall.Id}/actions/remove_from_resources", new HRemoveFrom(firewall.AppliedTo), ct).ConfigureAwait(false)).Actions, ct).ConfigureAwait(false);
            await client.DeleteAsync($"firewalls/{firewall.Id}", ct).ConfigureAwait(false);
        }
    }

    public async Task DeleteNetworkAsync(TenantId tenant, CancellationToken ct)
    {
        foreach (var network in await NetworksAsync(Selector(tenant), ct).ConfigureAwait(false))
            await client.DeleteAsync($"networks/{network.Id}", ct).ConfigureAwait(false);
    }

    /// <summary>
    /// A resource whose creation action failed still exists (in an error state): this step removes it itself, because the
    /// runbook rolls back only the steps that completed. The action's failure is what the step reports.
    /// </summary>
    private async Task WaitOrDeleteAsync(IEnumerable<HAction?> created, string path, CancellationToken ct)
    {
        try
        {
            await actions.WaitAsync(created, ct).ConfigureAwait(false);
        }
        catch (HetznerActionFailedException)
        {
            var deletion = await client.DeleteAsync(path, CancellationToken.None).ConfigureAwait(false);
            if (deletion is not null)
                await actions.WaitAsync(deletion, CancellationToken.None).ConfigureAwait(false);
            throw;
        }
    }

    private static T? One<T>(List<T> found, TenantId tenant, string kind) where T : class => found.Count switch
    {
        0 => null,
        1 => found[0],
        _ => throw new InvalidOperationException($"{found.Count} Hetzner {kind}s are labelled {Selector(tenant)}: expected one; resolve by hand before re-running"),
    };

    private static InvalidOperationException Missing(TenantId tenant, string kind) =>
        new($"the tenant's Hetzner {kind} (labelled {Selector(tenant)}) does not exist: the steps before the server did not run");

    private static bool SameRules(IReadOnlyList<HFirewallRule> actual, IReadOnlyList<HFirewallRule> wanted) =>
        actual.Count == wanted.Count && actual.Zip(wanted).All(p => Key(p.First) == Key(p.Second));

    private static string Key(HFirewallRule r) =>
        $"{r.Direction}|{r.Protocol}|{r.Port}|{string.Join(",", r.SourceIps ?? [])}|{string.Join(",", r.DestinationIps ?? [])}";
}
