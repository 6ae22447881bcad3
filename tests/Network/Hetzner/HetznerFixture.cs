using RunbookHost.Network;
using RunbookHost.Network.Hetzner;
using RunbookHost.Runbooks;
using RunbookHost.Tenants;
using RunbookHost.Tests.Network.Hetzner.StandIn;
using RunbookHost.Tests.Registry;
using RunbookHost.Tests.Support;

namespace RunbookHost.Tests.Network.Hetzner;

/// <summary>A registry, the in-process API stand-in, and the hetzner provider pointed at it (fast polls, short shutdown timeout).</summary>
public sealed class HetznerFixture : IAsyncLifetime
{
    private readonly RegistryDatabase db = new();

    public HetznerStandIn Api { get; private set; } = null!;
    public NetworkService Service { get; private set; } = null!;
    public HetznerNetworkProvider Provider => (HetznerNetworkProvider)Service.Provider!;

    public async Task InitializeAsync()
    {
        await db.InitializeAsync();
        Api = await HetznerStandIn.StartAsync();
        Service = Create(null);
    }

    public NetworkService Create(IDnsRecordPublisher? dns, Action<HetznerSettings>? change = null)
    {
        var settings = HetznerFirewallModelTests.Settings();
        settings.Token = Api.Token;
        settings.Endpoint = Api.Endpoint;
        settings.PollIntervalMilliseconds = 5;
        settings.ShutdownTimeoutSeconds = 1;
        change?.Invoke(settings);
        return NetworkService.Create(new NetworkSettings { Provider = NetworkProviders.Hetzner }, settings, db.Registry, TimeProvider.System, dns);
    }

    public (NetworkSteps Steps, MemoryLedger Ledger) For(TenantId tenant, MemoryLedger? ledger = null, NetworkService? service = null)
    {
        ledger ??= new MemoryLedger();
        return (new NetworkSteps(StepSequence.Scope(tenant, ledger), service ?? Service, "no registry"), ledger);
    }

    public static IRunbookOperation[] ProvisionSteps(NetworkSteps s) => [s.Reserve(), s.PrivateNetwork(), s.Firewall(), s.Volume(), s.Compute(), s.Dns()];

    public static IRunbookOperation[] DeprovisionSteps(NetworkSteps s) => [s.Shutdown(), s.DeleteCompute(), s.DeleteNetwork(), s.DeleteFirewall(), s.DeleteVolume(), s.RemoveDns(), s.Release()];

    public async Task<(TenantId Tenant, MemoryLedger Ledger)> ProvisionAsync()
    {
        var tenant = TestServers.NewTenantId();
        var (steps, ledger) = For(tenant);
        Assert.Null(await StepSequence.RunAsync(ProvisionSteps(steps)));
        return (tenant, ledger);
    }

    public async Task DisposeAsync()
    {
        Service.Dispose();
        await Api.DisposeAsync();
        await db.DisposeAsync();
    }

    public RegistryDatabase Db => db;
}
