using System.Net;
using RunbookHost.Network.Hetzner;
using RunbookHost.Tests.Network.Hetzner.StandIn;

namespace RunbookHost.Tests.Network.Hetzner;

public sealed class HetznerClientTests : IAsyncLifetime
{
    private HetznerStandIn api = null!;

    public async Task InitializeAsync() => api = await HetznerStandIn.StartAsync();

    public async Task DisposeAsync() => await api.DisposeAsync();

    private HetznerClient Client(string token) => new(new HetznerSettings { Token = token, Endpoint = api.Endpoint, MaxRetries = 2 }, TimeProvider.System);

    [Fact]
    public async Task AWrongTokenIsRefusedAndNeverAppearsInTheError()
    {
        using var client = Client("wrong-token-s3cr3t");
        var error = await Assert.ThrowsAsync<HetznerApiException>(() => client.GetAsync<HNetworkList>("networks", CancellationToken.None));
        Assert.Equal(HttpStatusCode.Unauthorized, error.Status);
        Assert.True(error.IsUnavailable);
        Assert.DoesNotContain("s3cr3t", error.Message);
    }

    [Fact]
    public async Task TheStandInRefusesWhatTheApiRefuses()
    {
        using var client = Client(api.Token);
        var portOnIcmp = await Assert.ThrowsAsync<HetznerApiException>(() => client.PostAsync<HFirewallResponse>("firewalls",
            new HFirewallCreate("fw-a", [], [new("in", "icmp", "22", SourceIps: ["0.0.0.0/0"])]), CancellationToken.None));
        Assert.Equal("invalid_input", portOnIcmp.Code);
        var outboundWithSources = await Assert.ThrowsAsync<HetznerApiException>(() => client.PostAsync<HFirewallResponse>("firewalls",
            new HFirewallCreate("fw-b", [], [new("out", "tcp", "443", SourceIps: ["0.0.0.0/0"])]), CancellationToken.None));
        Assert.Equal("invalid_input", outboundWithSources.Code);
        var publicRange = await Assert.ThrowsAsync<HetznerApiException>(() => client.PostAsync<HNetworkResponse>("networks",
            new HNetworkCreate("net-a", "8.8.0.0/16", [], []), CancellationToken.None));
        Assert.Equal("invalid_input", publicRange.Code);
        await client.PostAsync<HNetworkResponse>("networks", new HNetworkCreate("net-b", "10.9.0.0/16", [new("cloud", "10.9.0.0/16", "eu-central")], []), CancellationToken.None);
        var duplicate = await Assert.ThrowsAsync<HetznerApiException>(() => client.PostAsync<HNetworkResponse>("networks",
            new HNetworkCreate("net-b", "10.10.0.0/16", [], []), CancellationToken.None));
        Assert.Equal("uniqueness_error", duplicate.Code);
    }
}
