using System.Net;

namespace RunbookHost.Network.Hetzner;

/// <summary>
/// The hetzner provider (online, <c>RUNBOOKHOST_Hetzner__*</c>). Configured by <see cref="Token"/>; never run against
/// the real API in this repository's tests (they use the in-process stand-in). See docs/network.md "Online mode".
/// </summary>
public sealed class HetznerSettings
{
    public const string DefaultEndpoint = "https://api.hetzner.cloud/v1";

    /// <summary>A Hetzner Cloud API token (read and write). Empty = provider not configured. Never logged or shown.</summary>
    public string Token { get; set; } = "";
    public string Endpoint { get; set; } = DefaultEndpoint;
    public string Location { get; set; } = "nbg1";
    public string NetworkZone { get; set; } = "eu-central";
    public string ServerType { get; set; } = "cx22";
    public string Image { get; set; } = "debian-12";
    public int VolumeSizeGb { get; set; } = 10;
    /// <summary>SSH key names or ids added to each server (none: Hetzner mails a root password, which runbook-host discards).</summary>
    public List<string> SshKeys { get; set; } = [];
    /// <summary>Inbound HTTPS (443) is allowed from these CIDRs only: the platform's gateway.</summary>
    public List<string> GatewayCidrs { get; set; } = [];
    /// <summary>Inbound SSH (22) is allowed from these CIDRs only: the bastion.</summary>
    public List<string> BastionCidrs { get; set; } = [];
    /// <summary>Outbound HTTPS (443) is allowed to these CIDRs only: the LLM API (OpenRouter). Firewalls take addresses, not names.</summary>
    public List<string> LlmApiCidrs { get; set; } = [];
    /// <summary>Outbound DNS (53/udp and 53/tcp) is allowed to these resolvers only.</summary>
    public List<string> DnsResolverCidrs { get; set; } = [];
    /// <summary>Zone of the tenant's DNS record tenant-&lt;id&gt;.&lt;zone&gt;; empty = no record.</summary>
    public string DnsZone { get; set; } = "";
    /// <summary>Seconds a graceful shutdown may take before the server is powered off.</summary>
    public int ShutdownTimeoutSeconds { get; set; } = 120;
    /// <summary>Seconds an action (create, attach, delete) may run before the step fails.</summary>
    public int ActionTimeoutSeconds { get; set; } = 600;
    /// <summary>First wait between action polls, doubled each time up to 10 s.</summary>
    public int PollIntervalMilliseconds { get; set; } = 1000;
    /// <summary>Retries of a request refused with 429, 409 conflict, 423 locked or a 502/503/504.</summary>
    public int MaxRetries { get; set; } = 5;

    public bool IsConfigured => Token.Length > 0;

    /// <summary>Throws <see cref="ArgumentException"/> naming the setting. Only when the provider is selected.</summary>
    public void Validate()
    {
        if (!Uri.TryCreate(Endpoint, UriKind.Absolute, out var uri) || uri.Scheme != Uri.UriSchemeHttps && !(uri.Scheme == Uri.UriSchemeHttp && uri.IsLoopback))
            throw new ArgumentException("Hetzner__Endpoint must be an https URL (http only on loopback)");
        if (Token.Any(char.IsControl) || Token.Contains(' '))
            throw new ArgumentException("Hetzner__Token has characters a token cannot have");
        foreach (var (name, list) in new[] { ("GatewayCidrs", GatewayCidrs), ("BastionCidrs", BastionCidrs), ("LlmApiCidrs", LlmApiCidrs), ("DnsResolverCidrs", DnsResolverCidrs) })
        {
            if (list.Count == 0)
                throw new ArgumentException($"Hetzner__{name} is empty: the firewall allows nothing it is not told (set at least one CIDR)");
            if (list.Any(c => !IPNetwork.TryParse(c, out var n) || n.ToString() != c))
                throw new ArgumentException($"Hetzner__{name} must list CIDRs in canonical form, e.g. 203.0.113.0/24");
        }
        if (VolumeSizeGb is < 10 or > 10240)
            throw new ArgumentException("Hetzner__VolumeSizeGb must be 10-10240");
        if (ShutdownTimeoutSeconds is < 0 or > 3600 || ActionTimeoutSeconds is < 1 or > 7200 || PollIntervalMilliseconds is < 1 or > 60000 || MaxRetries is < 0 or > 20)
            throw new ArgumentException("Hetzner__ShutdownTimeoutSeconds, __ActionTimeoutSeconds, __PollIntervalMilliseconds or __MaxRetries is out of range");
        if (DnsZone.Length > 0 && !System.Text.RegularExpressions.Regex.IsMatch(DnsZone, @"^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$"))
            throw new ArgumentException("Hetzner__DnsZone must be a lowercase DNS zone such as tenants.example.com");
    }
}
