using System.Net;
using RunbookHost.Nats;
using RunbookHost.Tenants;

namespace RunbookHost.Tests.Nats;

/// <summary>The configuration writer: deterministic, and every value validated before it is written (no server needed).</summary>
public sealed class NatsConfigWriterTests
{
    private static readonly NatsServerSettings Server = new(IPAddress.Loopback, 4222, "/etc/nats/server-cert.pem", "/etc/nats/server-key.pem",
        "/etc/nats/client-ca.pem", 8222, "/var/lib/nats/jetstream", "/run/nats/nats.pid");

    private static NatsTenantAccount Tenant(string id, params string[] users) => new(TenantId.Parse(id), users, JetStreamLimits.Default);

    private static NatsServerConfiguration Configuration(params NatsTenantAccount[] tenants) => new(Server, tenants, NatsPlatformAccount.Default);

    [Fact]
    public void The_same_fleet_in_any_order_renders_the_same_bytes()
    {
        var one = NatsConfigWriter.Render(Configuration(Tenant("acme", "agent.default.acme.serviceradar", "poller.edge.acme.serviceradar"), Tenant("beta", "agent.default.beta.serviceradar")));
        var two = NatsConfigWriter.Render(Configuration(Tenant("beta", "agent.default.beta.serviceradar"), Tenant("acme", "poller.edge.acme.serviceradar", "agent.default.acme.serviceradar")));
        Assert.Equal(one, two);
        Assert.Contains("verify_and_map: true", one);
        Assert.Contains("http: \"127.0.0.1:8222\"", one);
        Assert.Contains("subscribe: { allow: [\"acme.>\", \"_INBOX_acme.>\"] }", one);
        Assert.Contains("{ service: { account: \"beta\", subject: \"$JS.API.>\" }, to: \"$JS.beta.API.>\" }", one);
        Assert.Contains("jetstream: { max_memory: 67108864, max_store: 268435456, max_streams: 1, max_consumers: 64 }", one);
    }

    [Theory]
    [InlineData("agent.default.beta.serviceradar")] // another tenant's identity in acme's account
    [InlineData("agent.acme.serviceradar")] // three labels
    [InlineData("agent.default.acme.serviceradar\" }, { user: \"x")] // would close the string
    [InlineData("Agent.default.acme.serviceradar")] // case
    [InlineData("agent.default.acme.serviceradar\n")]
    [InlineData("agent..acme.serviceradar")]
    [InlineData("platform-admin.serviceradar")]
    [InlineData("agent.default.acme.example")]
    public void A_user_that_is_not_one_of_the_tenants_identities_is_refused(string user)
    {
        var error = Assert.Throws<ArgumentException>(() => NatsConfigWriter.Render(Configuration(Tenant("acme", user))));
        Assert.DoesNotContain(user.Trim(), error.Message);
    }

    [Theory]
    [InlineData("/etc/nats/cert\".pem")]
    [InlineData("/etc/nats/cert\\x22.pem")]
    [InlineData("/etc/nats/cert\n.pem")]
    [InlineData("relative/cert.pem")]
    [InlineData("/etc/nats/zertifikat-ä.pem")]
    public void A_path_that_cannot_be_written_quoted_is_refused(string path)
    {
        Assert.Throws<ArgumentException>(() => NatsConfigWriter.Render(Configuration() with { Server = Server with { CertFile = path } }));
    }

    [Fact]
    public void Limits_that_would_mean_unlimited_a_duplicate_tenant_or_a_shared_user_are_refused()
    {
        Assert.Throws<ArgumentException>(() => NatsConfigWriter.Render(Configuration(Tenant("acme") with { Limits = JetStreamLimits.Default with { MaxStoreBytes = -1 } })));
        Assert.Throws<ArgumentException>(() => NatsConfigWriter.Render(Configuration(Tenant("acme") with { Limits = JetStreamLimits.Default with { MaxStreams = 0 } })));
        Assert.Throws<ArgumentException>(() => NatsConfigWriter.Render(Configuration(Tenant("acme") with { Limits = JetStreamLimits.Default with { MaxStoreBytes = Server.JetStreamMaxStoreBytes + 1 } })));
        Assert.Throws<ArgumentException>(() => NatsConfigWriter.Render(Configuration(Tenant("acme"), Tenant("acme"))));
        Assert.Throws<ArgumentException>(() => NatsConfigWriter.Render(Configuration(Tenant("acme", "a.b.acme.serviceradar", "a.b.acme.serviceradar"))));
        Assert.Throws<ArgumentException>(() => NatsConfigWriter.Render(Configuration() with { Platform = new(["agent.default.acme.serviceradar"]) }));
    }

    [Fact]
    public void Monitoring_listens_on_loopback_even_when_clients_connect_on_every_address()
    {
        var text = NatsConfigWriter.Render(Configuration() with { Server = Server with { ListenAddress = IPAddress.Any } });
        Assert.Contains("listen: \"0.0.0.0:4222\"", text);
        Assert.Contains("http: \"127.0.0.1:8222\"", text);
    }
}
