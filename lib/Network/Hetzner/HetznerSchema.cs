using System.Text.Json;
using System.Text.Json.Serialization;

namespace RunbookHost.Network.Hetzner;

// The part of the Hetzner Cloud API schema runbook-host uses (public API reference; field names as in hcloud-go's schema package).

public sealed record HAction(long Id, string Status, string Command, int Progress, HActionError? Error);
public sealed record HActionError(string Code, string Message);
public sealed record HActionResponse(HAction Action);

public sealed record HSubnet(string Type, string IpRange, string NetworkZone, string? Gateway = null);
public sealed record HNetwork(long Id, string Name, string IpRange, IReadOnlyList<HSubnet> Subnets, IReadOnlyList<long> Servers, Dictionary<string, string> Labels);
public sealed record HNetworkCreate(string Name, string IpRange, IReadOnlyList<HSubnet> Subnets, Dictionary<string, string> Labels);
public sealed record HNetworkResponse(HNetwork Network);
public sealed record HNetworkList(IReadOnlyList<HNetwork> Networks, HMeta? Meta);

public sealed record HFirewallRule(string Direction, string Protocol, string? Port = null, IReadOnlyList<string>? SourceIps = null,
    IReadOnlyList<string>? DestinationIps = null, string? Description = null);
public sealed record HFirewallServerRef(long Id);
public sealed record HFirewallResource(string Type, HFirewallServerRef? Server = null);
public sealed record HFirewall(long Id, string Name, Dictionary<string, string> Labels, IReadOnlyList<HFirewallRule> Rules, IReadOnlyList<HFirewallResource> AppliedTo);
public sealed record HFirewallCreate(string Name, Dictionary<string, string> Labels, IReadOnlyList<HFirewallRule> Rules);
public sealed record HFirewallResponse(HFirewall Firewall, IReadOnlyList<HAction>? Actions = null);
public sealed record HFirewallList(IReadOnlyList<HFirewall> Firewalls, HMeta? Meta);
public sealed record HSetRules(IReadOnlyList<HFirewallRule> Rules);
public sealed record HRemoveFrom(IReadOnlyList<HFirewallResource> RemoveFrom);
public sealed record HActionsResponse(IReadOnlyList<HAction> Actions);

public sealed record HVolume(long Id, string Name, long? Server, string Status, int Size, string? LinuxDevice, Dictionary<string, string> Labels);
public sealed record HVolumeCreate(string Name, int Size, string Location, Dictionary<string, string> Labels, string Format, bool Automount);
public sealed record HVolumeResponse(HVolume Volume, HAction? Action = null, IReadOnlyList<HAction>? NextActions = null);
public sealed record HVolumeList(IReadOnlyList<HVolume> Volumes, HMeta? Meta);

public sealed record HServerFirewall(long Id, string Status);
public sealed record HPublicIpv4(string Ip);
public sealed record HPublicNet(HPublicIpv4? Ipv4, IReadOnlyList<HServerFirewall> Firewalls);
public sealed record HPrivateNet(long Network, string Ip);
public sealed record HServer(long Id, string Name, string Status, HPublicNet PublicNet, IReadOnlyList<HPrivateNet> PrivateNet, IReadOnlyList<long> Volumes, Dictionary<string, string> Labels);
public sealed record HServerFirewallRef(long Firewall);
public sealed record HServerCreate(string Name, string ServerType, string Image, string Location, Dictionary<string, string> Labels,
    IReadOnlyList<long> Networks, IReadOnlyList<HServerFirewallRef> Firewalls, IReadOnlyList<long> Volumes, bool Automount, string UserData,
    bool StartAfterCreate, IReadOnlyList<string>? SshKeys);
// root_password (answered when no SSH key is given) is deliberately not a member: it is never read, kept or logged.
public sealed record HServerResponse(HServer Server, HAction? Action = null, IReadOnlyList<HAction>? NextActions = null);
public sealed record HServerList(IReadOnlyList<HServer> Servers, HMeta? Meta);

public sealed record HPagination(int Page, int PerPage, int? NextPage, int? LastPage, int? TotalEntries);
public sealed record HMeta(HPagination? Pagination);
public sealed record HError(string Code, string Message);
public sealed record HErrorResponse(HError Error);

public static class HetznerJson
{
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };
}
