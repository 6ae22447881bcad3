using RunbookHost.Evidence;
using RunbookHost.Network;
using RunbookHost.Network.Docker;
using RunbookHost.Runbooks;
using RunbookHost.Tenants;
using RunbookHost.Tests.Registry;
using RunbookHost.Tests.Support;

namespace RunbookHost.Tests.Network.Docker;

/// <summary>
/// The docker provider on the real engine: two tenants provisioned, their isolation proven with real packets by the
/// product and checked again from outside with the docker CLI, then deprovisioned to nothing. Every test removes what
/// it created (containers, networks, volumes, iptables rules) even when it fails.
/// </summary>
public sealed class DockerIsolationTests : IAsyncLifetime
{
    private readonly RegistryDatabase db = new();
    private FileStream? subnetLock;
    private NetworkService service = null!;
    private readonly List<TenantId> created = [];

    public async Task InitializeAsync()
    {
        await db.InitializeAsync();
        var (octet, lockFile) = await DockerTestHost.ReserveSubnetAsync();
        subnetLock = lockFile;
        var settings = new NetworkSettings { Pool = $"10.{octet}.{{octet}}.0/24", Docker = { Image = DockerTestHost.Image } };
        service = NetworkService.Create(settings, new RunbookHost.Network.Hetzner.HetznerSettings(), db.Registry, TimeProvider.System);
    }

    public async Task DisposeAsync()
    {
        foreach (var tenant in created)
            await DockerTestHost.RemoveEverythingOf(tenant);
        service.Dispose();
        subnetLock?.Dispose();
        await db.DisposeAsync();
    }

    private (NetworkSteps Steps, MemoryLedger Ledger) For(TenantId tenant, MemoryLedger? ledger = null)
    {
        ledger ??= new MemoryLedger();
        return (new NetworkSteps(StepSequence.Scope(tenant, ledger), service, "no registry"), ledger);
    }

    private async Task<MemoryLedger> Provision(TenantId tenant)
    {
        created.Add(tenant);
        var (steps, ledger) = For(tenant);
        var failure = await StepSequence.RunAsync(steps.Reserve(), steps.PrivateNetwork(), steps.Firewall(), steps.Volume(), steps.Compute(), steps.Dns());
        Assert.Null(failure);
        return ledger;
    }

    [Fact]
    public async Task TwoTenantsReachOnlyTheirOwnWorkloadsAndNothingOutsideProvenWithRealPackets()
    {
        var a = TestServers.NewTenantId();
        var b = TestServers.NewTenantId();
        var ledgerA = await Provision(a);
        var ledgerB = await Provision(b);
        Assert.StartsWith("docker: tenant-" + a, ledgerA.Components[Component.Network]);

        var checksA = await For(a, ledgerA).Steps.Verify().RunAsync(CancellationToken.None);
        var checksB = await For(b, ledgerB).Steps.Verify().RunAsync(CancellationToken.None);
        StepSequence.AssertAllPass(checksA);
        StepSequence.AssertAllPass(checksB);
        foreach (var (checks, other) in new[] { (checksA, b), (checksB, a) })
        {
            Assert.Equal(CheckResultsAllowed, Single(checks, "reach_app_name").Result);
            Assert.Equal(CheckResultsAllowed, Single(checks, "reach_app_ip").Result);
            Assert.Equal("DENIED", Single(checks, $"cross_tenant_{other}_ip").Result);
            Assert.Equal("DENIED", Single(checks, $"cross_tenant_{other}_name").Result);
            foreach (var proto in new[] { "tcp", "udp", "icmp" })
                Assert.Equal("DENIED", Single(checks, $"no_route_out_{proto}").Result);
        }

        // From outside the product, with the docker CLI only.
        var netA = await DockerTestHost.DockerOk("network", "inspect", "-f", "{{.Internal}} {{range .IPAM.Config}}{{.Subnet}}{{end}} {{index .Labels \"runbook-host.tenant\"}}", $"tenant-{a}");
        var rangeA = (await db.Registry.GetNetworkAsync(a))!;
        Assert.Equal($"true {rangeA.Cidr} {a}", netA);
        var ipA = await DockerTestHost.DockerOk("inspect", "-f", $"{{{{(index .NetworkSettings.Networks \"tenant-{a}\").IPAddress}}}}", $"tenant-{a}-app");
        var ipB = await DockerTestHost.DockerOk("inspect", "-f", $"{{{{(index .NetworkSettings.Networks \"tenant-{b}\").IPAddress}}}}", $"tenant-{b}-app");
        var fromA = await DockerTestHost.DockerOk("run", "--rm", "--network", $"tenant-{a}", "--dns", "127.0.0.1", "--label", $"runbook-host.tenant={a}", DockerTestHost.Image, "sh", "-c",
            $"timeout 4 nc -w 2 {ipA} 8080 </dev/null >/dev/null 2>&1; echo own=$?; nc -w 2 {ipB} 8080 </dev/null >/dev/null 2>&1; echo other=$?; nc -w 2 tenant-{b}-app 8080 </dev/null >/dev/null 2>&1; echo othername=$?; ping -c 1 -W 2 {rangeA.Gateway} >/dev/null 2>&1; echo gateway=$?");
        Assert.Equal("own=0\nother=1\nothername=1\ngateway=1", fromA);
        Assert.Contains($"-A INPUT -i {DockerNames.Bridge(a)} -m comment --comment \"runbook-host tenant={a}\" -j DROP", await DockerTestHost.IptablesRules());

        // The fleet view covers the pair.
        StepSequence.AssertAllPass(await service.VerifyFleetAsync([a, b], CancellationToken.None));
    }

    [Fact]
    public async Task WithoutTheHostFirewallRuleTheProbeReachesTheHostAndTheCheckFails()
    {
        var a = TestServers.NewTenantId();
        var ledger = await Provision(a);
        await new HostFirewall().RemoveAsync(a, CancellationToken.None);

        var checks = await For(a, ledger).Steps.Verify().RunAsync(CancellationToken.None);

        // The listener on the bridge address was reached: the check is the real thing, not a formality.
        Assert.Equal("ALLOWED", Single(checks, "no_route_out_tcp").Result);
        Assert.False(Single(checks, "no_route_out_tcp").Pass);
        Assert.False(Single(checks, "host_firewall_host_input").Pass);
    }

    [Fact]
    public async Task DeprovisionLeavesNothingLabelledWithTheTenant()
    {
        var a = TestServers.NewTenantId();
        var (steps, ledger) = For(a, await Provision(a));
        Assert.NotEqual("", await DockerTestHost.LabelledObjects(a));

        var failure = await StepSequence.RunAsync(steps.Shutdown(), steps.DeleteCompute(), steps.DeleteNetwork(), steps.DeleteFirewall(), steps.DeleteVolume(), steps.RemoveDns(), steps.Release());
        Assert.Null(failure);

        StepSequence.AssertAllPass(await steps.VerifyAbsent().RunAsync(CancellationToken.None));
        Assert.Equal("", await DockerTestHost.LabelledObjects(a));
        Assert.DoesNotContain(DockerNames.Bridge(a), await DockerTestHost.IptablesRules());
        Assert.Null(await db.Registry.GetNetworkAsync(a));
        Assert.False(ledger.Components.ContainsKey(Component.Network));
    }

    [Fact]
    public async Task AFailedWorkloadRollsBackTheNetworkFirewallVolumeAndRange()
    {
        var a = TestServers.NewTenantId();
        created.Add(a);
        using var broken = new NetworkService(service.Pool, db.Registry,
            new DockerNetworkProvider(new NetworkSettings { Docker = { Image = "local/runbook-host-not-built:0" } }), "");
        var ledger = new MemoryLedger();
        var steps = new NetworkSteps(StepSequence.Scope(a, ledger), broken, "no registry");

        var failure = await StepSequence.RunAsync(steps.Reserve(), steps.PrivateNetwork(), steps.Firewall(), steps.Volume(), steps.Compute());

        Assert.Contains("never pulls", failure!.Message);
        Assert.Equal("", await DockerTestHost.LabelledObjects(a));
        Assert.DoesNotContain(DockerNames.Bridge(a), await DockerTestHost.IptablesRules());
        Assert.Null(await db.Registry.GetNetworkAsync(a));
        Assert.Empty(ledger.Components);
    }

    private const string CheckResultsAllowed = "ALLOWED";

    private static CheckRecord Single(IReadOnlyList<CheckRecord> checks, string test) =>
        Assert.Single(checks, c => c.Test == test);
}
