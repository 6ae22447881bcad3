using RunbookHost.Tests.Network.Docker;
using RunbookHost.Tests.Registry;
using RunbookHost.Tests.Support;

namespace RunbookHost.Tests.Runbooks;

/// <summary>
/// The product's runbooks with the docker network provider, through the real host process on the real engine: two
/// tenants get their networks, volumes and workloads; verify proves with real packets that each reaches its own workload,
/// neither the other's, neither anything outside; the docker CLI sees the same; deprovision leaves nothing labelled.
/// </summary>
public sealed class NetworkRunbookTests(StorageEnvironment stores) : IClassFixture<StorageEnvironment>
{
    [Fact]
    public async Task TwoTenantsOnDockerReachOnlyTheirOwnWorkloadAndDeprovisionLeavesNothing()
    {
        var (octet, subnetLock) = await DockerTestHost.ReserveSubnetAsync();
        using var _ = subnetLock;
        var registry = new RunbookHost.Registry.TenantRegistry(TestServers.PostgresAdmin, TestServers.NewDatabaseName("rbh_net"));
        using var host = stores.NewHost(allStores: false);
        host.Environment["RUNBOOKHOST_Registry__Database"] = registry.Database;
        host.Environment["RUNBOOKHOST_Network__Pool"] = $"10.{octet}.{{octet}}.0/24";
        host.Environment["RUNBOOKHOST_Network__Docker__Image"] = DockerTestHost.Image;
        var a = TestServers.NewTenantId();
        var b = TestServers.NewTenantId();
        try
        {
            await StorageIsolationRunbookTests.Run(host, "provision", a.Value);
            await StorageIsolationRunbookTests.Run(host, "provision", b.Value);

            var verify = StorageEnvironment.Checks(await StorageIsolationRunbookTests.Run(host, "verify", a.Value));
            var network = verify.Where(c => c.Store == "network").ToList();
            Assert.All(network, c => Assert.True(c.Pass, $"{c.Test}: {c.Result}"));
            Assert.Contains(network, c => c.Test.StartsWith("reach_", StringComparison.Ordinal) && c.Result == "ALLOWED");
            Assert.Contains(network, c => c.Test.StartsWith("cross_tenant_", StringComparison.Ordinal) && c.Result == "DENIED");
            foreach (var test in new[] { "no_route_out_tcp", "no_route_out_udp", "no_route_out_icmp" })
                Assert.Contains(network, c => c.Test == test && c.Result == "DENIED");

            // From outside the product: the docker CLI sees an internal network per tenant, on the tenant's own range.
            Assert.Equal("true", (await DockerTestHost.DockerOk("network", "inspect", $"tenant-{a}", "--format", "{{.Internal}}")).Trim());
            Assert.StartsWith($"10.{octet}.", await DockerTestHost.DockerOk("network", "inspect", $"tenant-{a}", "--format", "{{range .IPAM.Config}}{{.Subnet}}{{end}}"));
            var workloadB = (await DockerTestHost.DockerOk("ps", "--filter", $"label=runbook-host.tenant={b}", "--format", "{{.Names}}")).Split('\n')[0].Trim();
            var ipB = DockerTestHost.ContainerIp(await DockerTestHost.DockerOk("inspect", workloadB, "--format", "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}"));
            var workloadA = (await DockerTestHost.DockerOk("ps", "--filter", $"label=runbook-host.tenant={a}", "--format", "{{.Names}}")).Split('\n')[0].Trim();
            var ipA = DockerTestHost.ContainerIp(await DockerTestHost.DockerOk("inspect", workloadA, "--format", "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}"));
            var probe = $"ping -c 1 -W 2 {ipA} >/dev/null && echo OWN_OK; ping -c 1 -W 2 {ipB} >/dev/null && echo OTHER_REACHED; true";
            var fromA = await DockerTestHost.DockerOk("run", "--rm", "--network", $"tenant-{a}", "--dns", "127.0.0.1", "--label", $"runbook-host.tenant={a}",
                DockerTestHost.Image, "sh", "-c", probe);
            Assert.Contains("OWN_OK", fromA);
            Assert.DoesNotContain("OTHER_REACHED", fromA);

            var fleet = await host.Run("run", "verify-fleet");
            Assert.True(fleet.ExitCode == 0, fleet.StandardOutput + fleet.StandardError);

            var deprovision = StorageEnvironment.Checks(await StorageIsolationRunbookTests.Run(host, "deprovision", b.Value));
            Assert.Contains(deprovision, c => c.Store == "network" && c.Pass);
            Assert.Equal("", await DockerTestHost.LabelledObjects(b));
        }
        finally
        {
            await DockerTestHost.RemoveEverythingOf(a);
            await DockerTestHost.RemoveEverythingOf(b);
            await RegistryDatabase.Drop(registry);
        }
    }
}
