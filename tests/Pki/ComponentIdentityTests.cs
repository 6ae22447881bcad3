using RunbookHost.Pki;
using RunbookHost.Tenants;
using RunbookHost.Tests.Tenants;

namespace RunbookHost.Tests.Pki;

/// <summary>
/// The CN parser of process isolation tasks 4.1/5.2/6.1-6.3: exactly one spelling of each identity is accepted, and
/// every hostile or malformed name gets a refusal that says why without echoing the name.
/// </summary>
public sealed class ComponentIdentityTests
{
    [Theory]
    [InlineData("agent.default.acme.serviceradar", "agent", "default", "acme")]
    [InlineData("poller.eu-west-1.acme.serviceradar", "poller", "eu-west-1", "acme")]
    [InlineData("a.b.t01.serviceradar", "a", "b", "t01")]
    [InlineData("9x.0.abcdefghijklmnopqrstuvwxyz012345.serviceradar", "9x", "0", "abcdefghijklmnopqrstuvwxyz012345")]
    public void AValidIdentityYieldsItsParts(string name, string component, string partition, string tenant)
    {
        Assert.True(ComponentIdentity.TryParse(name, out var id, out var refusal), refusal);
        Assert.Equal(component, id.Component);
        Assert.Equal(partition, id.Partition);
        Assert.Equal(TenantId.Parse(tenant), id.Tenant);
        Assert.Equal(name, id.DnsName);
        Assert.Equal(id, ComponentIdentity.Create(component, partition, TenantId.Parse(tenant)));
    }

    [Theory]
    [InlineData("default.acme.serviceradar", "3 labels")]
    [InlineData("acme.serviceradar", "2 labels")]
    [InlineData(ComponentIdentity.PlatformAdmin, "2 labels")]
    [InlineData("x.agent.default.acme.serviceradar", "5 labels")]
    [InlineData("agent.default.acme.serviceradar.evil", "5 labels")]
    [InlineData("agent.default.acme.serviceradar.", "ends with a dot")]
    [InlineData("agent..acme.serviceradar", "partition label is empty")]
    [InlineData(".default.acme.serviceradar", "component label is empty")]
    [InlineData("agent.default..serviceradar", "tenant label is not a tenant id")]
    [InlineData("agent.default.acme.serviceradaR", "uppercase")]
    [InlineData("Agent.default.acme.serviceradar", "uppercase")]
    [InlineData("agent.default.ACME.serviceradar", "uppercase")]
    [InlineData("agent.default.acme.example", "does not end in .serviceradar")]
    [InlineData("agent.default.acme.serviceradar-evil", "does not end in .serviceradar")]
    [InlineData("agent.default.acme.xn--serviceradar", "does not end in .serviceradar")]
    [InlineData("agent_x.default.acme.serviceradar", "component label contains a character")]
    [InlineData("agent.def*ult.acme.serviceradar", "partition label contains a character")]
    [InlineData("agent.default.ac-me.serviceradar", "tenant label is not a tenant id")]
    [InlineData("agent.default.acme'.serviceradar", "tenant label is not a tenant id")]
    [InlineData("agent.default.1acme.serviceradar", "tenant label is not a tenant id")]
    [InlineData("agent.default.ab.serviceradar", "tenant label is not a tenant id")]
    [InlineData("agent.default.abcdefghijklmnopqrstuvwxyz0123456.serviceradar", "tenant label is not a tenant id")]
    [InlineData("-agent.default.acme.serviceradar", "starts or ends with '-'")]
    [InlineData("agent-.default.acme.serviceradar", "starts or ends with '-'")]
    [InlineData("xn--agnt-5qa.default.acme.serviceradar", "punycode")]
    [InlineData("agent.xn--dflt-5qa.acme.serviceradar", "punycode")]
    [InlineData("agent.default.xn--acme-5qa.serviceradar", "tenant label is not a tenant id")]
    [InlineData("ab--cd.default.acme.serviceradar", "third and fourth position")]
    [InlineData("agént.default.acme.serviceradar", "non-ASCII")]
    [InlineData("agent.default.аcme.serviceradar", "non-ASCII")]
    [InlineData("agent.default.acme.serviceradar\u200b", "non-ASCII")]
    [InlineData("agent.default.acme\uff0eserviceradar", "non-ASCII")]
    [InlineData("agent.default.acme.serviceradar\0", "control character")]
    [InlineData("agent .default.acme.serviceradar", "space or a control character")]
    [InlineData("agent.default.acme.serviceradar\n", "control character")]
    [InlineData("", "empty")]
    [InlineData(null, "empty")]
    [InlineData("*.default.acme.serviceradar", "component label contains a character")]
    [InlineData("agent.default.*.serviceradar", "tenant label is not a tenant id")]
    [InlineData("agent/x.default.acme.serviceradar", "component label contains a character")]
    [InlineData("agent.default.acme.serviceradar:4222", "does not end in .serviceradar")]
    [InlineData("CN=agent.default.acme.serviceradar", "uppercase")]
    public void AHostileOrMalformedNameIsRefusedWithAPreciseReason(string? name, string reason)
    {
        Assert.False(ComponentIdentity.TryParse(name, out var id, out var refusal));
        Assert.Null(id);
        Assert.Contains(reason, refusal, StringComparison.Ordinal);
        var thrown = Assert.Throws<InvalidComponentIdentityException>(() => ComponentIdentity.Parse(name));
        Assert.Equal(refusal, thrown.Message);
    }

    [Fact]
    public void OverlongLabelsAndNamesAreRefused()
    {
        var label63 = new string('a', 63);
        Assert.True(ComponentIdentity.TryParse($"{label63}.{label63}.acme.serviceradar", out _, out var ok), ok);
        Assert.False(ComponentIdentity.TryParse($"{label63}a.default.acme.serviceradar", out _, out var refusal));
        Assert.Contains("component label has 64 characters", refusal, StringComparison.Ordinal);
        Assert.False(ComponentIdentity.TryParse($"agent.{label63}a.acme.serviceradar", out _, out refusal));
        Assert.Contains("partition label has 64 characters", refusal, StringComparison.Ordinal);
        Assert.False(ComponentIdentity.TryParse(new string('a', 300) + ".default.acme.serviceradar", out _, out refusal));
        Assert.Contains("more than a DNS name's 253", refusal, StringComparison.Ordinal);
        Assert.False(ComponentIdentity.TryParse(new string('a', 100_000), out _, out refusal));
        Assert.Contains("more than a DNS name's 253", refusal, StringComparison.Ordinal);
    }

    [Fact]
    public void EveryTenantIdTheTenantRuleRefusesIsRefusedAsTheTenantLabel()
    {
        var refused = 0;
        foreach (var tenant in HostileInputs.TenantIds())
        {
            if (TenantId.TryParse(tenant, out _, out _))
                continue;
            var name = $"agent.default.{tenant}.serviceradar";
            Assert.False(ComponentIdentity.TryParse(name, out _, out var refusal), $"accepted a name whose tenant fails the tenant-id rule (#{refused})");
            refused++;
            // The refusal never echoes the input: a hostile name cannot inject into a log line or an evidence file.
            if (tenant.Length > 2)
                Assert.DoesNotContain(tenant, refusal, StringComparison.Ordinal);
        }
        Assert.True(refused > 100);
    }

    [Fact]
    public void CreateValidatesItsPartsLikeTheParser()
    {
        var acme = TenantId.Parse("acme");
        Assert.Throws<InvalidComponentIdentityException>(() => ComponentIdentity.Create("agent.x", "default", acme));
        Assert.Throws<InvalidComponentIdentityException>(() => ComponentIdentity.Create("agent", "", acme));
        Assert.Throws<InvalidComponentIdentityException>(() => ComponentIdentity.Create("AGENT", "default", acme));
        Assert.Throws<InvalidComponentIdentityException>(() => ComponentIdentity.Create("xn--agnt-5qa", "default", acme));
        Assert.Equal(".acme.serviceradar", ComponentIdentity.TenantSuffix(acme));
    }
}
