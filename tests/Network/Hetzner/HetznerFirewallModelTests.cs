using System.Net;
using RunbookHost.Network;
using RunbookHost.Network.Hetzner;
using RunbookHost.Tenants;
using static RunbookHost.Network.Hetzner.HetznerFirewallModel;

namespace RunbookHost.Tests.Network.Hetzner;

/// <summary>One test per rule of the network summary's firewall table, and Pitfall 4, against the model and the rules the provider writes.</summary>
public sealed class HetznerFirewallModelTests
{
    internal static HetznerSettings Settings() => new()
    {
        Token = "x", GatewayCidrs = ["192.0.2.10/32"], BastionCidrs = ["192.0.2.20/32"], LlmApiCidrs = ["198.51.100.64/28"], DnsResolverCidrs = ["192.0.2.53/32"],
    };

    private static readonly TenantNetwork Acme = new(TenantId.Parse("acme"), NetworkPool.DefaultTemplate, 7, IPNetwork.Parse("10.7.0.0/16"));
    private static readonly TenantNetwork Globex = new(TenantId.Parse("globex"), NetworkPool.DefaultTemplate, 8, IPNetwork.Parse("10.8.0.0/16"));
    private static readonly IReadOnlyList<RunbookHost.Network.Hetzner.HFirewallRule> Rules = HetznerFirewallRules.For(Settings(), Acme);
    private static readonly IPAddress Elsewhere = IPAddress.Parse("203.0.113.77");

    private static bool Allowed(string direction, string protocol, int? port, string remote) => Allows(Rules, new Flow(direction, protocol, port, IPAddress.Parse(remote)));

    [Fact]
    public void InboundHttpsOnlyFromTheGateway()
    {
        Assert.True(Allowed("in", "tcp", 443, "192.0.2.10"));
        Assert.False(Allowed("in", "tcp", 443, Elsewhere.ToString()));
        Assert.False(Allowed("in", "tcp", 443, "192.0.2.20")); // the bastion gets SSH, not HTTPS
    }

    [Fact]
    public void InboundSshOnlyFromTheBastion()
    {
        Assert.True(Allowed("in", "tcp", 22, "192.0.2.20"));
        Assert.False(Allowed("in", "tcp", 22, "192.0.2.10"));
        Assert.False(Allowed("in", "tcp", 22, Elsewhere.ToString()));
    }

    [Fact]
    public void InboundInternalTrafficOnlyFromTheTenantsOwnRange()
    {
        Assert.True(Allowed("in", "tcp", 8080, "10.7.3.4"));
        Assert.True(Allowed("in", "udp", 5353, "10.7.3.4"));
        Assert.True(Allowed("in", "icmp", null, "10.7.3.4"));
        Assert.False(Allowed("in", "tcp", 8080, "10.8.3.4")); // another tenant
    }

    [Fact]
    public void OutboundHttpsOnlyToTheLlmApi()
    {
        Assert.True(Allowed("out", "tcp", 443, "198.51.100.70"));
        Assert.False(Allowed("out", "tcp", 443, Elsewhere.ToString()));
        Assert.False(Allowed("out", "tcp", 80, "198.51.100.70")); // only 443 to OpenRouter
    }

    [Fact]
    public void OutboundInternalTrafficOnlyToTheTenantsOwnRange()
    {
        Assert.True(Allowed("out", "tcp", 5432, "10.7.0.9"));
        Assert.False(Allowed("out", "tcp", 5432, "10.8.0.9"));
    }

    [Fact]
    public void OutboundDnsOnlyToTheResolvers()
    {
        Assert.True(Allowed("out", "udp", 53, "192.0.2.53"));
        Assert.True(Allowed("out", "tcp", 53, "192.0.2.53"));
        Assert.False(Allowed("out", "udp", 53, Elsewhere.ToString()));
    }

    [Fact]
    public void EverythingElseIsDenied()
    {
        Assert.False(Allowed("in", "tcp", 5432, Elsewhere.ToString()));
        Assert.False(Allowed("in", "icmp", null, Elsewhere.ToString()));
        Assert.False(Allowed("out", "tcp", 25, Elsewhere.ToString()));
        Assert.False(Allowed("out", "icmp", null, Elsewhere.ToString()));
        Assert.False(Allows([], new Flow("in", "tcp", 443, Elsewhere))); // inbound: default deny
    }

    [Fact]
    public void Pitfall4_WithoutAnyOutboundRuleEveryOutboundFlowIsAccepted()
    {
        var inboundOnly = Rules.Where(r => r.Direction == "in").ToList();
        Assert.False(HasExplicitOutbound(inboundOnly));
        Assert.True(Allows(inboundOnly, new Flow("out", "tcp", 25, Elsewhere)));
        Assert.True(Allows(inboundOnly, new Flow("out", "tcp", 8080, Globex.Offset(10))));

        // One outbound rule is enough to switch on the implicit deny for every other outbound flow.
        List<RunbookHost.Network.Hetzner.HFirewallRule> oneOutbound = [.. inboundOnly, new("out", "udp", "53", DestinationIps: ["192.0.2.53/32"])];
        Assert.True(HasExplicitOutbound(oneOutbound));
        Assert.False(Allows(oneOutbound, new Flow("out", "tcp", 25, Elsewhere)));
        Assert.True(HasExplicitOutbound(Rules)); // the provider always writes an explicit outbound set
    }

    [Theory]
    [InlineData("1024-5000", 1024, true)]
    [InlineData("1024-5000", 5000, true)]
    [InlineData("1024-5000", 5001, false)]
    [InlineData("any", 9, true)]
    [InlineData("443", 444, false)]
    public void PortsMatchSinglePortsRangesAndAny(string port, int wanted, bool allowed) =>
        Assert.Equal(allowed, Allows([new("in", "tcp", port, SourceIps: ["0.0.0.0/0"])], new Flow("in", "tcp", wanted, Elsewhere)));

    [Fact]
    public void EveryExpectationOfTheSummaryHoldsForTheRulesTheProviderWrites()
    {
        var expectations = HetznerFirewallRules.Expectations(Settings(), Acme, [Globex]);
        Assert.Contains(expectations, e => e.Test == "in_from_tenant_globex" && !e.Allow);
        Assert.All(expectations, e => Assert.Equal(e.Allow, Allows(Rules, e.Flow)));
    }
}
