using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using RunbookHost.Keys.KeyRing;
using RunbookHost.Nats;
using RunbookHost.Pki;
using RunbookHost.Registry;
using RunbookHost.Tests.Pki;
using RunbookHost.Tests.Runbooks;
using RunbookHost.Tests.Support;

namespace RunbookHost.Tests.Nats;

/// <summary>
/// The product end to end on a real nats-server: `runbook-host nats init` writes the configuration from the platform
/// PKI, the server starts on it, provision gives two tenants their accounts and streams, verify records every live
/// probe, a client outside the product (NATS.Net with a certificate from the same PKI) sees A refused on B's prefix,
/// and deprovision removes A so that a certificate issued to A earlier no longer connects.
/// </summary>
public sealed class BusRunbookTests(StorageEnvironment stores) : IClassFixture<StorageEnvironment>
{
    private static readonly string[] VerifyChecks =
    [
        "own_prefix_roundtrip", "cross_tenant_publish_refused", "cross_tenant_subscribe_refused", "name_constraint_refused",
        "untrusted_ca_refused", "foreign_stream_invisible", "own_stream_limits",
    ];

    [Fact]
    public async Task Provision_verify_and_deprovision_give_prove_and_remove_each_tenants_bus()
    {
        var folder = Directory.CreateTempSubdirectory("rbh-bus-").FullName;
        var port = FreePort();
        var monitorPort = FreePort();
        using var host = stores.NewHost(allStores: false);
        host.Environment["RUNBOOKHOST_Nats__Url"] = $"tls://127.0.0.1:{port}";
        host.Environment["RUNBOOKHOST_Nats__ConfigFile"] = Path.Combine(folder, "nats.conf");
        host.Environment["RUNBOOKHOST_Nats__PidFile"] = Path.Combine(folder, "nats.pid");
        host.Environment["RUNBOOKHOST_Nats__StoreDir"] = Path.Combine(folder, "jetstream");
        host.Environment["RUNBOOKHOST_Nats__MonitorUrl"] = $"http://127.0.0.1:{monitorPort}/";
        Process? server = null;
        try
        {
            var init = await host.Run("nats", "init");
            Assert.True(init.ExitCode == 0, init.StandardOutput + init.StandardError);
            Assert.Contains("no reload", init.StandardOutput);
            server = Process.Start("nats-server", ["-c", Path.Combine(folder, "nats.conf"), "-l", Path.Combine(folder, "nats.log")])!;
            await WaitForMonitorAsync(monitorPort);
            var again = await host.Run("nats", "init");
            Assert.True(again.ExitCode == 0, again.StandardOutput + again.StandardError);
            Assert.Contains("already hold this configuration", again.StandardOutput);

            var a = TestServers.NewTenantId();
            var b = TestServers.NewTenantId();
            // Two host processes at once, as two operators or a fleet run would: each derives the server's configuration
            // from the registry, so without the configuration lock one would write a configuration without the other's account.
            var provisions = await Task.WhenAll(PkiRunbookTests.Run(host, "provision", a.Value), PkiRunbookTests.Run(host, "provision", b.Value));
            var provisionA = provisions[0];
            Assert.All(StorageEnvironment.Checks(provisions[1]).Where(c => c.Store == "nats"), c => Assert.True(c.Pass, $"{c.Test}: {c.Result}"));
            Assert.All(StorageEnvironment.Checks(provisionA).Where(c => c.Store == "nats"), c => Assert.True(c.Pass, $"{c.Test}: {c.Result}"));

            var verify = StorageEnvironment.Checks(await PkiRunbookTests.Run(host, "verify", a.Value)).Where(c => c.Store == "nats").ToList();
            foreach (var test in VerifyChecks)
                Assert.Contains(verify, c => c.Test == test && c.Pass);

            var fleet = await host.Run("run", "verify-fleet", "--json");
            var fleetEvidence = System.Text.Json.Nodes.JsonNode.Parse(fleet.StandardOutput)!["evidence"]!.GetValue<string>();
            var pairs = Assert.Single(StorageEnvironment.Checks(fleetEvidence), c => c.Test == "fleet_bus_pairs");
            Assert.True(pairs.Pass, pairs.Result);
            Assert.Equal("DENIED", pairs.Result);

            // By hand, as an operator would: onboard a component of A (the bus learns its identity in the same run), then
            // `nats try` with its package reaches A's subjects and is refused on B's.
            var onboard = await host.Run("run", "onboard", "--tenant", a.Value, "--param", "component=agent");
            Assert.True(onboard.ExitCode == 0, onboard.StandardOutput + onboard.StandardError);
            var package = Path.Combine(host.SecretsDir, "tenants", a.Value, "onboarding", "agent.default");
            var own = await host.Run("nats", "try", package, "--subject", $"{a}.orders.created");
            Assert.True(own.ExitCode == 0, own.StandardOutput + own.StandardError);
            Assert.Contains($"agent.default.{a}.serviceradar on {a}.orders.created: delivered", own.StandardOutput);
            var foreign = await host.Run("nats", "try", package, "--subject", $"{b}.orders.created");
            Assert.True(foreign.ExitCode == 3, foreign.StandardOutput + foreign.StandardError);
            Assert.Contains("REFUSED by the server", foreign.StandardOutput);
            Assert.Contains($"Permissions Violation for Subscription to \"{b}.orders.created\"", foreign.StandardOutput);
            var wildcard = await host.Run("nats", "try", package, "--subject", $"{b}.>");
            Assert.Equal(2, wildcard.ExitCode);

            // Outside the product: a client with certificates from the same PKI.
            var registry = new TenantRegistry(TestServers.PostgresAdmin, stores.RegistryDatabase);
            var pki = new PkiService(new PkiFiles(host.SecretsDir), new PkiSettings(), new TenantKeyRing(host.SecretsDir, TimeProvider.System), registry, TimeProvider.System);
            var endpoint = new NatsEndpoint($"tls://127.0.0.1:{port}", new X509Certificate2Collection(await pki.RootCertificateAsync(CancellationToken.None)));
            using var issuedA = await pki.IssueComponentCertificateAsync(a, "probe", "verify", false, TimeSpan.FromHours(1), CancellationToken.None);
            using var issuedB = await pki.IssueComponentCertificateAsync(b, "probe", "verify", false, TimeSpan.FromHours(1), CancellationToken.None);
            var identityA = new NatsClientIdentity(issuedA.Certificate, issuedA.Chain);
            var identityB = new NatsClientIdentity(issuedB.Certificate, issuedB.Chain);
            await using (var listenerAttempt = await NatsConnector.ConnectAsync(endpoint, identityB, $"_INBOX_{b}", CancellationToken.None))
            await using (var senderAttempt = await NatsConnector.ConnectAsync(endpoint, identityA, $"_INBOX_{a}", CancellationToken.None))
            {
                var listener = listenerAttempt.Connection ?? throw new InvalidOperationException(listenerAttempt.Detail);
                var sender = senderAttempt.Connection ?? throw new InvalidOperationException(senderAttempt.Detail);
                var received = new ConcurrentQueue<string>();
                var errors = new ConcurrentQueue<string>();
                sender.ServerError += (_, e) => { errors.Enqueue(e.Error); return ValueTask.CompletedTask; };
                await using var subscription = await listener.SubscribeCoreAsync<string>($"{b}.>");
                _ = Task.Run(async () => { await foreach (var m in subscription.Msgs.ReadAllAsync()) received.Enqueue(m.Subject); });
                await listener.PingAsync();
                await sender.PublishAsync($"{b}.orders", "from a");
                await sender.PingAsync();
                await Task.Delay(500);
                await listener.PingAsync();
                Assert.Empty(received);
                Assert.Contains(errors, e => e.Contains($"Permissions Violation for Publish to \"{b}.orders\"", StringComparison.Ordinal));
            }

            var deprovision = StorageEnvironment.Checks(await PkiRunbookTests.Run(host, "deprovision", a.Value)).Where(c => c.Store == "nats").ToList();
            Assert.Contains(deprovision, c => c.Test == "deprovisioned_refused" && c.Pass);
            Assert.Contains(deprovision, c => c.Test == "account_absent" && c.Pass);
            var refused = await new NatsProbes(endpoint, TimeProvider.System).ConnectionRefusedAsync("outside", identityA, "A was deprovisioned", CancellationToken.None);
            Assert.True(refused.Pass, refused.Detail);
            Assert.True((await new NatsProbes(endpoint, TimeProvider.System).OwnPrefixRoundTripAsync(new TenantBus(b), identityB, CancellationToken.None)).Pass);

            // Another secrets folder (another PKI) pointed at the same bus never rewrites its trust: the bus belongs to
            // the PKI that issued its server certificate.
            using (var intruder = stores.NewHost(allStores: false))
            {
                foreach (var (key, value) in host.Environment.Where(e => e.Key.StartsWith("RUNBOOKHOST_Nats__", StringComparison.Ordinal)))
                    intruder.Environment[key] = value;
                var files = Directory.GetFiles(folder).Where(f => f.EndsWith(".conf", StringComparison.Ordinal) || f.EndsWith(".pem", StringComparison.Ordinal)).Order().ToList();
                var before = files.Select(File.ReadAllBytes).ToList();
                var other = await intruder.Run("run", "provision", "--tenant", TestServers.NewTenantId().Value);
                Assert.True(other.ExitCode == 1, other.StandardOutput + other.StandardError);
                Assert.Contains("another secrets folder owns this bus", other.StandardOutput + other.StandardError);
                Assert.Equal(before, files.Select(File.ReadAllBytes).ToList());
            }
            Assert.True((await new NatsProbes(endpoint, TimeProvider.System).OwnPrefixRoundTripAsync(new TenantBus(b), identityB, CancellationToken.None)).Pass);

            await PkiRunbookTests.Run(host, "deprovision", b.Value);
        }
        finally
        {
            if (server is { HasExited: false })
            {
                server.Kill();
                server.WaitForExit(5000);
            }
            try { Directory.Delete(folder, recursive: true); } catch (IOException) { }
        }
    }

    private static async Task WaitForMonitorAsync(int port)
    {
        using var monitor = new NatsMonitor(new Uri($"http://127.0.0.1:{port}/"));
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (true)
        {
            try { await monitor.VarzAsync(CancellationToken.None); return; }
            catch (HttpRequestException) when (DateTime.UtcNow < deadline) { await Task.Delay(100); }
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
