using System.Collections.Concurrent;
using System.Net;
using NATS.Client.Core;
using RunbookHost.Evidence;
using System.Security.Cryptography.X509Certificates;
using RunbookHost.IO;
using RunbookHost.Nats;
using RunbookHost.Pki;
using RunbookHost.Registry;
using RunbookHost.Tenants;

namespace RunbookHost.Runbooks.Steps;

/// <summary>
/// The message bus as the platform runs it (docs/nats.md): the whole server configuration is derived from the registry
/// each time (tenants whose ledger records Component.Nats; their users are the component identities the PKI issued to
/// them, plus the verifier's probe identity), the client-CA bundle from the PKI's trusted client authorities, and the
/// pair is applied with a confirmed reload or rolled back. Certificates come from <see cref="PkiService"/>.
/// </summary>
public sealed class BusPlatform(NatsSettings settings, PkiService pki, TenantRegistry registry, TimeProvider clock)
{
    /// <summary>The verifier's identity in every tenant account: <c>probe.verify.&lt;tenant&gt;.serviceradar</c>, certificates short-lived.</summary>
    public const string ProbeComponent = "probe";
    public const string ProbePartition = "verify";
    public const string ServerName = "nats.platform.serviceradar";
    public static readonly TimeSpan ProbeLifetime = TimeSpan.FromHours(1);

    public NatsSettings Settings => settings;
    public PkiService Pki => pki;

    private string Folder => Path.GetDirectoryName(Path.GetFullPath(settings.ConfigFile))!;
    public string ServerCertificateFile => Path.Combine(Folder, "server-cert.pem");
    public string ServerKeyFile => Path.Combine(Folder, "server-key.pem");

    public NatsServerControl Control => new(settings.ConfigFile, PidFile, new Uri(settings.MonitorUrl), settings.ServerBinary)
    {
        ReloadTimeout = TimeSpan.FromSeconds(settings.ReloadTimeoutSeconds),
    };

    private string PidFile => settings.PidFile.Length > 0 ? settings.PidFile : Path.Combine(Folder, "nats.pid");

    public NatsServerSettings Server()
    {
        var url = new Uri(settings.Url);
        var address = url.Host == "localhost" ? IPAddress.Loopback : IPAddress.Parse(url.Host);
        return new NatsServerSettings(address, url.Port, ServerCertificateFile, ServerKeyFile, settings.EffectiveClientCaFile,
            new Uri(settings.MonitorUrl).Port, settings.StoreDir.Length > 0 ? settings.StoreDir : Path.Combine(Folder, "jetstream"), PidFile);
    }

    /// <summary>
    /// Serializes every change of the server's configuration, across runs and processes. The configuration is derived
    /// from the ledger, so two tenants provisioned at once (a fleet run) would each write one that lacks the other's
    /// account: a run computes, writes, reloads and records its tenant while it holds this lock.
    /// </summary>
    public ExclusiveLockFile LockConfiguration(CancellationToken cancellationToken)
    {
        var locks = Path.Combine(pki.Files.SecretsRoot, "locks");
        AtomicFile.CreatePrivateFolder(locks);
        return ExclusiveLockFile.Acquire(Path.Combine(locks, "nats-config.lock"), "NATS configuration lock file", TimeSpan.FromMinutes(5),
                   TimeSpan.FromMilliseconds(50), clock, cancellationToken)
               ?? throw new NatsApplyException("another run held the NATS configuration lock for 5 minutes");
    }

    public static string ProbeIdentity(TenantId tenant) => ComponentIdentity.Create(ProbeComponent, ProbePartition, tenant).DnsName;

    /// <summary>The configuration the registry describes, with <paramref name="including"/> added and <paramref name="excluding"/> left out.</summary>
    public async Task<NatsServerConfiguration> DesiredAsync(TenantId? including, TenantId? excluding, CancellationToken cancellationToken)
    {
        var components = await registry.ListComponentsAsync(null, cancellationToken).ConfigureAwait(false);
        var tenants = components.Where(c => c.Value.Any(x => x.Name == Component.Nats)).Select(c => c.Key).ToHashSet();
        if (including is not null)
            tenants.Add(including);
        if (excluding is not null)
            tenants.Remove(excluding);
        var accounts = new List<NatsTenantAccount>();
        foreach (var tenant in tenants.OrderBy(t => t.Value, StringComparer.Ordinal))
        {
            var issued = await registry.ListIssuedCertificatesAsync(tenant, cancellationToken).ConfigureAwait(false);
            var users = issued.Where(c => c.Kind == PkiService.KindComponent && NatsIdentityName.IsTenantIdentity(c.Identity, tenant, out _))
                .Select(c => c.Identity).Append(ProbeIdentity(tenant)).Distinct(StringComparer.Ordinal).ToList();
            accounts.Add(new NatsTenantAccount(tenant, users, settings.TenantLimits));
        }
        return new NatsServerConfiguration(Server(), accounts, NatsPlatformAccount.Default);
    }

    /// <summary>Renders the registry's configuration and the PKI's bundle and applies them (see <see cref="NatsConfigApplier"/>).</summary>
    public async Task<NatsApplyResult> ApplyAsync(TenantId? including, TenantId? excluding, CancellationToken cancellationToken)
    {
        using (var root = await pki.RootCertificateAsync(cancellationToken).ConfigureAwait(false))
        {
            // Two secrets folders (two PKIs) pointed at one bus would each rewrite its trust: the bus belongs to the PKI that
            // issued its server certificate, and only `nats init` (an explicit command) may hand it to another.
            if (File.Exists(ServerCertificateFile) && !IssuedBy(ServerCertificateFile, root))
                throw new NatsApplyException($"the nats-server certificate {ServerCertificateFile} was not issued by this host's platform root: another secrets folder owns this bus (run `runbook-host nats init` from the one that should)");
        }
        var configuration = await DesiredAsync(including, excluding, cancellationToken).ConfigureAwait(false);
        var authorities = await pki.TrustedClientAuthoritiesAsync(cancellationToken).ConfigureAwait(false);
        var bundle = NatsTrustBundle.Pem(authorities);
        foreach (var authority in authorities)
            authority.Dispose();
        return await new NatsConfigApplier(Control, clock).ApplyAsync(configuration, bundle, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// `runbook-host nats init`: the server certificate (from the root; reissued when missing or within 7 days of expiry),
    /// then the configuration and bundle. Returns what it did, one line each.
    /// </summary>
    public async Task<IReadOnlyList<string>> InitializeAsync(CancellationToken cancellationToken)
    {
        var done = new List<string>();
        if (!pki.IsInitialized)
            done.AddRange(await pki.InitializeAsync(cancellationToken).ConfigureAwait(false));
        AtomicFile.CreatePrivateFolder(Folder);
        using var platformRoot = await pki.RootCertificateAsync(cancellationToken).ConfigureAwait(false);
        if (!ServerCertificateIsCurrent() || !IssuedBy(ServerCertificateFile, platformRoot))
        {
            var server = Server();
            IPAddress[] addresses = server.ListenAddress.Equals(IPAddress.Any) || server.ListenAddress.Equals(IPAddress.Loopback)
                ? [IPAddress.Loopback] : [IPAddress.Loopback, server.ListenAddress];
            using var issued = await pki.IssueServerCertificateAsync([ServerName, "localhost"], addresses, cancellationToken).ConfigureAwait(false);
            using var key = issued.Certificate.GetECDsaPrivateKey() ?? throw new PkiException("the server certificate has no EC key");
            AtomicFile.WriteText(ServerKeyFile, key.ExportPkcs8PrivateKeyPem(), AtomicFile.PrivateFile);
            AtomicFile.WriteText(ServerCertificateFile, issued.Certificate.ExportCertificatePem() + "\n");
            done.Add($"issued the server certificate {issued.Serial} ({ServerName}, localhost, {string.Join(", ", addresses.Select(a => a.ToString()))}) from the root: {ServerCertificateFile}");
        }
        var applied = await ApplyAsync(null, null, cancellationToken).ConfigureAwait(false);
        if (!applied.Succeeded)
            throw new NatsApplyException(applied.Detail);
        done.Add(applied.Detail);
        return done;
    }

    private bool ServerCertificateIsCurrent()
    {
        if (!File.Exists(ServerCertificateFile) || !File.Exists(ServerKeyFile))
            return false;
        using var certificate = X509Certificate2.CreateFromPemFile(ServerCertificateFile, ServerKeyFile);
        return certificate.NotAfter.ToUniversalTime() > clock.GetUtcNow().UtcDateTime.AddDays(7);
    }

    private static bool IssuedBy(string certificateFile, X509Certificate2 root)
    {
        var certificates = new X509Certificate2Collection();
        certificates.ImportFromPemFile(certificateFile);
        if (certificates.Count == 0)
            return false;
        using var certificate = certificates[0];
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(root);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.VerificationFlags = X509VerificationFlags.IgnoreNotTimeValid;
        return chain.Build(certificate);
    }

    public async Task<NatsEndpoint> EndpointAsync(CancellationToken cancellationToken)
    {
        var root = await pki.RootCertificateAsync(cancellationToken).ConfigureAwait(false);
        return new NatsEndpoint(settings.Url, new X509Certificate2Collection(root));
    }

    /// <summary>A fresh, short-lived certificate of the tenant's probe identity (recorded by serial like every issued certificate).</summary>
    public async Task<NatsClientIdentity> ProbeIdentityAsync(TenantId tenant, CancellationToken cancellationToken)
    {
        var issued = await pki.IssueComponentCertificateAsync(tenant, ProbeComponent, ProbePartition, serves: false, ProbeLifetime, cancellationToken).ConfigureAwait(false);
        return new NatsClientIdentity(issued.Certificate, issued.Chain);
    }

    /// <summary>
    /// The fleet-wide proof that no tenant pair can exchange messages, live: every tenant's probe identity connects and
    /// listens on its own prefix; each publishes a marked message to every other tenant's prefix. Passes only when the
    /// server refused each of the n(n-1) publishes with a permissions violation and no tenant received a marked message.
    /// </summary>
    public async Task<IReadOnlyList<CheckRecord>> VerifyFleetAsync(IReadOnlyList<TenantId> tenants, CancellationToken cancellationToken)
    {
        const string test = "fleet_bus_pairs";
        if (tenants.Count < 2)
            return [CheckRecord.Skipped(NatsProbes.Store, test, $"{tenants.Count} tenant(s) on the bus: no pair to prove")];
        var endpoint = await EndpointAsync(cancellationToken).ConfigureAwait(false);
        var marker = Guid.NewGuid().ToString("N");
        var members = new List<(TenantBus Bus, NatsConnection Connection, ConcurrentQueue<string> Errors, ConcurrentQueue<string> Received, IAsyncDisposable Subscription)>();
        try
        {
            foreach (var tenant in tenants)
            {
                var bus = new TenantBus(tenant);
                var identity = await ProbeIdentityAsync(tenant, cancellationToken).ConfigureAwait(false);
                var attempt = await NatsConnector.ConnectAsync(endpoint, identity, bus.InboxPrefix, cancellationToken).ConfigureAwait(false);
                if (attempt.Connection is not { } connection)
                {
                    return [attempt.Outcome == NatsConnectOutcome.Refused
                        ? new CheckRecord(NatsProbes.Store, test, "CONNECT_REFUSED", clock.GetUtcNow(), false, $"tenant {tenant}'s probe identity must connect: {attempt.Detail}")
                        : CheckRecord.Incomplete(NatsProbes.Store, test, attempt.Detail)];
                }
                var errors = new ConcurrentQueue<string>();
                var received = new ConcurrentQueue<string>();
                connection.ServerError += (_, e) => { errors.Enqueue(e.Error); return ValueTask.CompletedTask; };
                var subscription = await connection.SubscribeCoreAsync<string>(bus.Subjects, cancellationToken: cancellationToken).ConfigureAwait(false);
                _ = Task.Run(async () =>
                {
                    await foreach (var message in subscription.Msgs.ReadAllAsync(CancellationToken.None).ConfigureAwait(false))
                    {
                        if (message.Data == marker)
                            received.Enqueue(message.Subject);
                    }
                }, CancellationToken.None);
                await connection.PingAsync(cancellationToken).ConfigureAwait(false);
                members.Add((bus, connection, errors, received, subscription));
            }
            foreach (var sender in members)
            {
                foreach (var target in members.Where(m => m.Bus != sender.Bus))
                    await sender.Connection.PublishAsync($"{target.Bus.SubjectPrefix}fleet-probe.{sender.Bus.Tenant}", marker, cancellationToken: cancellationToken).ConfigureAwait(false);
                await sender.Connection.PingAsync(cancellationToken).ConfigureAwait(false);
            }
            await Task.Delay(TimeSpan.FromSeconds(1), clock, cancellationToken).ConfigureAwait(false);
            foreach (var member in members)
                await member.Connection.PingAsync(cancellationToken).ConfigureAwait(false);
            var pairs = members.Count * (members.Count - 1);
            var refused = members.Sum(m => m.Errors.Count(e => e.Contains("Permissions Violation for Publish to", StringComparison.OrdinalIgnoreCase)));
            var delivered = members.SelectMany(m => m.Received.Select(subject => $"{m.Bus.Tenant} received {subject}")).ToList();
            var pass = delivered.Count == 0 && refused == pairs;
            var detail = delivered.Count > 0 ? $"{delivered.Count} cross-tenant message(s) delivered: {string.Join("; ", delivered.Take(5))}"
                : $"{members.Count} tenants, {pairs} ordered pairs: {refused} publishes refused with a permissions violation, none delivered";
            return [new CheckRecord(NatsProbes.Store, test, pass ? "DENIED" : "LEAK", clock.GetUtcNow(), pass, detail)];
        }
        finally
        {
            foreach (var member in members)
            {
                await member.Subscription.DisposeAsync().ConfigureAwait(false);
                await member.Connection.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    /// <summary>The platform-admin identity and its serial (the caller records its use in evidence).</summary>
    public async Task<(NatsClientIdentity Identity, string Serial)> PlatformAdminAsync(CancellationToken cancellationToken)
    {
        var issued = await pki.IssuePlatformAdminCertificateAsync(cancellationToken).ConfigureAwait(false);
        return (new NatsClientIdentity(issued.Certificate, issued.Chain), issued.Serial);
    }
}

/// <summary>nats-server did not take a configuration change; the message is the applier's one-line reason.</summary>
public sealed class NatsApplyException(string message) : InvalidOperationException(message);
