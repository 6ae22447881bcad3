using RunbookHost.Evidence;
using RunbookHost.Network;
using RunbookHost.Network.Hetzner;
using RunbookHost.Registry;
using RunbookHost.Runbooks;
using RunbookHost.Stores.Postgres;
using RunbookHost.Tenants;

namespace RunbookHost.Tests.Network;

/// <summary>The facade when something is not configured: visible skips, and verification that never passes vacuously.</summary>
public sealed class NetworkStepsTests
{
    private static readonly TenantId Acme = TenantId.Parse("acme");
    private static readonly TenantRegistry Unconnected = new("Host=127.0.0.1;Username=x;Password=x", "never_opened");

    private static NetworkSteps Steps(TenantComponents components, NetworkService? service) =>
        new(new RunScope(Acme, components, new MemoryLedger(), CancellationToken.None), service, "disabled: no registry");

    [Fact]
    public void WithoutARegistryEveryStepIsSkippedWithTheReason()
    {
        var steps = Steps(TenantComponents.Known([]), null);
        foreach (var operation in new[] { steps.Reserve(), steps.PrivateNetwork(), steps.Firewall(), steps.Compute(), steps.Release() })
            Assert.Equal("disabled: no registry", Assert.IsType<SkippedOperation>(operation).Reason);
    }

    [Fact]
    public async Task AnUnconfiguredProviderLeavesATenantThatHasANetworkIncompleteNeverPassed()
    {
        var service = NetworkService.Create(new NetworkSettings(), new HetznerSettings(), Unconnected, TimeProvider.System);
        Assert.Null(service.Provider);
        Assert.IsType<RunbookOperation>(Steps(TenantComponents.Known([]), service).Reserve()); // the allocator still works
        Assert.Contains("Network__Docker__Image", Assert.IsType<SkippedOperation>(Steps(TenantComponents.Known([]), service).PrivateNetwork()).Reason);

        var has = TenantComponents.Known([new TenantComponent(Component.Network, "provision@2", DateTimeOffset.UnixEpoch, "docker: tenant-acme 10.7.0.0/16")]);
        Assert.Equal(CheckStatus.Incomplete, Assert.Single(await Steps(has, service).Verify().RunAsync(CancellationToken.None)).Status);
        Assert.Equal(CheckStatus.Skipped, Assert.Single(await Steps(TenantComponents.Known([]), service).Verify().RunAsync(CancellationToken.None)).Status);
        Assert.Equal(CheckStatus.Incomplete, Assert.Single(await Steps(TenantComponents.Unknown("registry unreachable"), service).Verify().RunAsync(CancellationToken.None)).Status);
    }

    [Fact]
    public void TheHetznerProviderNeedsItsFirewallSourcesConfigured()
    {
        var error = Assert.Throws<ArgumentException>(() =>
            NetworkService.Create(new NetworkSettings { Provider = NetworkProviders.Hetzner }, new HetznerSettings { Token = "t" }, Unconnected, TimeProvider.System));
        Assert.Contains("Hetzner__GatewayCidrs is empty", error.Message);
        Assert.Contains("RUNBOOKHOST_Hetzner__Token", NetworkService.Create(new NetworkSettings { Provider = NetworkProviders.Hetzner }, new HetznerSettings(), Unconnected, TimeProvider.System).WhyProviderDisabled);
    }

    [Fact]
    public void PgHbaUsesTheSameRangeTheAllocatorGaveTheNetwork()
    {
        var pool = NetworkPool.Create("10.{a}.{b}.0/24");
        var range = pool.NetworkFor(258);
        var policy = PgHbaPolicy.Create(null, null);
        Assert.Equal("host tenant_acme tenant_acme_user 10.1.2.0/24 scram-sha-256", policy.LineFor(Acme, range));
        Assert.Equal(policy.LineFor(Acme, 7), policy.LineFor(Acme, NetworkPool.Default.NetworkFor(7)));
    }
}
