using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using NATS.Client.Core;
using RunbookHost.IO;
using RunbookHost.Nats;
using RunbookHost.Tests.Support;

namespace RunbookHost.Tests.Nats;

/// <summary>
/// A real nats-server (Debian's, 2.9) per test class, on free loopback ports, with a configuration the product's
/// writer rendered and a throwaway CA chain: root → name-constrained intermediates of tenants A and B (and a
/// retired one, C) and a platform-admin CA. The client-CA bundle holds A's, B's and the platform CA, never the root.
/// Killed when the class is done.
/// </summary>
public sealed class NatsServerFixture : IAsyncLifetime
{
    private Process? server;

    public NatsServerFixture()
    {
        Folder = Directory.CreateTempSubdirectory("rbh-nats-").FullName;
        Root = TestCertificateAuthority.CreateRoot("runbook-host test root");
        A = new TenantBus(TestServers.NewTenantId());
        B = new TenantBus(TestServers.NewTenantId());
        C = new TenantBus(TestServers.NewTenantId());
        CaA = Root.CreateIntermediate($"{A.Tenant} CA", $"{A.Tenant}.{NatsIdentityName.Domain}");
        CaB = Root.CreateIntermediate($"{B.Tenant} CA", $"{B.Tenant}.{NatsIdentityName.Domain}");
        CaC = Root.CreateIntermediate($"{C.Tenant} CA", $"{C.Tenant}.{NatsIdentityName.Domain}");
        PlatformCa = Root.CreateIntermediate("platform-admin CA", NatsIdentityName.PlatformAdmin);
        Port = FreePort();
        MonitorPort = FreePort();
        Settings = new NatsServerSettings(IPAddress.Loopback, Port,
            Path.Combine(Folder, "server-cert.pem"), Path.Combine(Folder, "server-key.pem"), Path.Combine(Folder, "client-ca.pem"),
            MonitorPort, Path.Combine(Folder, "jetstream"), Path.Combine(Folder, "nats.pid"),
            JetStreamMaxMemoryBytes: 64L * 1024 * 1024, JetStreamMaxStoreBytes: 256L * 1024 * 1024);
        Control = new NatsServerControl(Path.Combine(Folder, "nats.conf"), Settings.PidFile, new Uri($"http://127.0.0.1:{MonitorPort}/"));
        Endpoint = new NatsEndpoint($"tls://127.0.0.1:{Port}", new X509Certificate2Collection(Root.Certificate));
    }

    public string Folder { get; }
    public TestCertificateAuthority Root { get; }
    public TenantBus A { get; }
    public TenantBus B { get; }
    /// <summary>A tenant whose CA is not (or no longer) in the bundle.</summary>
    public TenantBus C { get; }
    public TestCertificateAuthority CaA { get; }
    public TestCertificateAuthority CaB { get; }
    public TestCertificateAuthority CaC { get; }
    public TestCertificateAuthority PlatformCa { get; }
    public int Port { get; }
    public int MonitorPort { get; }
    public NatsServerSettings Settings { get; }
    public NatsServerControl Control { get; }
    public NatsEndpoint Endpoint { get; }

    /// <summary>Small limits so a test can reach them: 1 stream, 1 MiB on disk, 4 consumers.</summary>
    public static JetStreamLimits Limits { get; } = new(1024 * 1024, 1024 * 1024, 1, 4);

    public static string Agent(TenantBus bus) => $"agent.default.{bus.Tenant}.{NatsIdentityName.Domain}";

    public NatsClientIdentity IdentityA { get; private set; } = null!;
    public NatsClientIdentity IdentityB { get; private set; } = null!;
    public NatsClientIdentity PlatformAdmin { get; private set; } = null!;

    /// <summary>Tenants A and B with one agent each, C with one agent (its CA not in the bundle).</summary>
    public NatsServerConfiguration InitialConfiguration() => Configuration(A, B, C);

    public NatsServerConfiguration Configuration(params TenantBus[] tenants) => new(Settings,
        tenants.Select(t => new NatsTenantAccount(t.Tenant, [Agent(t)], Limits)).ToList(), NatsPlatformAccount.Default);

    public static string Bundle(params TestCertificateAuthority[] authorities) => NatsTrustBundle.Pem(authorities.Select(a => a.Certificate));

    /// <summary>Writes the bundle behind the product's back (a test that needs a CA the product would never trust).</summary>
    public void WriteClientCaBundle(params TestCertificateAuthority[] authorities) =>
        AtomicFile.WriteText(Settings.ClientCaFile, string.Concat(authorities.Select(a => a.Pem)));

    public NatsConfigApplier Applier() => new(Control, TimeProvider.System);

    /// <summary>Reloads the unchanged configuration file (e.g. after the CA bundle changed) and waits until it took.</summary>
    public async Task ReloadAsync()
    {
        using var monitor = new NatsMonitor(Control.MonitorUrl);
        var before = (await monitor.VarzAsync(CancellationToken.None)).ConfigLoadTime;
        Process.Start("nats-server", ["--signal", $"reload={server!.Id}"])!.WaitForExit();
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while ((await monitor.VarzAsync(CancellationToken.None)).ConfigLoadTime <= before)
        {
            Assert.True(DateTime.UtcNow < deadline, "nats-server did not reload: " + Log());
            await Task.Delay(100);
        }
    }

    public async Task InitializeAsync()
    {
        var (certificate, key) = Root.IssueServer(["localhost", "nats.platform.serviceradar"], [IPAddress.Loopback]);
        AtomicFile.WriteText(Settings.CertFile, certificate);
        AtomicFile.WriteText(Settings.KeyFile, key, AtomicFile.PrivateFile);
        IdentityA = CaA.IssueClient([Agent(A)]);
        IdentityB = CaB.IssueClient([Agent(B)]);
        PlatformAdmin = PlatformCa.IssueClient([NatsIdentityName.PlatformAdmin]);
        var written = await Applier().ApplyAsync(InitialConfiguration(), Bundle(CaA, CaB, PlatformCa), CancellationToken.None);
        Assert.True(written.Outcome == NatsApplyOutcome.WrittenServerNotRunning, written.Detail);
        var start = new ProcessStartInfo("nats-server") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var argument in new[] { "-c", Control.ConfigFile, "-l", Path.Combine(Folder, "nats.log") })
            start.ArgumentList.Add(argument);
        server = Process.Start(start) ?? throw new InvalidOperationException("cannot start nats-server");
        using var monitor = new NatsMonitor(Control.MonitorUrl);
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (true)
        {
            try
            {
                await monitor.VarzAsync(CancellationToken.None);
                break;
            }
            catch (HttpRequestException) when (DateTime.UtcNow < deadline && !server.HasExited)
            {
                await Task.Delay(100);
            }
        }
        await using var admin = await PlatformConnectionAsync();
        foreach (var tenant in new[] { A, B })
            await TenantStreams.EnsureAsync(admin, tenant, Limits, CancellationToken.None);
    }

    public async Task<NatsConnection> PlatformConnectionAsync()
    {
        var attempt = await NatsConnector.ConnectAsync(Endpoint, PlatformAdmin, null, CancellationToken.None);
        return attempt.Connection ?? throw new InvalidOperationException($"platform admin cannot connect: {attempt.Detail}");
    }

    public async Task<NatsConnection> ConnectAsync(NatsClientIdentity identity, TenantBus bus)
    {
        var attempt = await NatsConnector.ConnectAsync(Endpoint, identity, bus.InboxPrefix, CancellationToken.None);
        return attempt.Connection ?? throw new InvalidOperationException($"cannot connect: {attempt.Detail}");
    }

    /// <summary>The server's log, for assertion messages.</summary>
    public string Log() => File.Exists(Path.Combine(Folder, "nats.log")) ? File.ReadAllText(Path.Combine(Folder, "nats.log")) : "";

    public Task DisposeAsync()
    {
        if (server is { HasExited: false })
        {
            server.Kill(entireProcessTree: true);
            server.WaitForExit(5000);
        }
        server?.Dispose();
        Root.Dispose();
        // RUNBOOKHOST_TEST_KEEP_NATS=1 keeps the folder (configuration, certificates, server log) for a look.
        if (Environment.GetEnvironmentVariable("RUNBOOKHOST_TEST_KEEP_NATS") != "1")
        {
            try { Directory.Delete(Folder, recursive: true); } catch (IOException) { }
        }
        return Task.CompletedTask;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
