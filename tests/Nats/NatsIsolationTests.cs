using System.Collections.Concurrent;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;
using RunbookHost.Evidence;
using RunbookHost.Nats;
using RunbookHost.Tests.Host;

namespace RunbookHost.Tests.Nats;

/// <summary>Isolation on the real nats-server, probed from the tenant's side by the product and checked from outside.</summary>
public sealed class NatsIsolationTests(NatsServerFixture nats) : IClassFixture<NatsServerFixture>
{
    private NatsProbes Probes => new(nats.Endpoint, TimeProvider.System);

    [Fact]
    public async Task A_tenant_identity_receives_what_it_publishes_on_its_own_prefix()
    {
        var check = await Probes.OwnPrefixRoundTripAsync(nats.A, nats.IdentityA, CancellationToken.None);
        Assert.Equal(CheckStatus.Pass, check.Status);
        Assert.Equal("RECEIVED", check.Result);
    }

    [Fact]
    public async Task Publish_and_subscribe_on_another_tenants_prefix_are_refused_and_nothing_reaches_the_other_tenant()
    {
        // Outside the product: B listens on its whole prefix while A tries to publish there.
        await using var listener = await nats.ConnectAsync(nats.IdentityB, nats.B);
        var received = new ConcurrentQueue<string>();
        await using var subscription = await listener.SubscribeCoreAsync<string>(nats.B.Subjects);
        var reading = Task.Run(async () =>
        {
            await foreach (var message in subscription.Msgs.ReadAllAsync())
                received.Enqueue(message.Subject);
        });
        await listener.PingAsync();

        var checks = await Probes.CrossTenantRefusedAsync(nats.A, nats.IdentityA, nats.B, CancellationToken.None);

        Assert.All(checks, c => Assert.Equal(CheckStatus.Pass, c.Status));
        Assert.Contains(checks, c => c.Test == "cross_tenant_publish_refused" && c.Detail!.Contains("Permissions Violation for Publish to", StringComparison.Ordinal));
        Assert.Contains(checks, c => c.Test == "cross_tenant_subscribe_refused" && c.Detail!.Contains("Permissions Violation for Subscription to", StringComparison.Ordinal));
        await Task.Delay(500);
        await listener.PingAsync();
        Assert.Empty(received);
    }

    [Fact]
    public async Task A_certificate_tenant_As_CA_signs_for_tenant_Bs_name_is_refused()
    {
        // Signed directly with A's CA key, bypassing the product: the name constraint makes the server refuse it.
        var forged = nats.CaA.IssueClient([NatsServerFixture.Agent(nats.B)]);
        var check = await Probes.ConnectionRefusedAsync("name_constraint_refused", forged, "A's CA signed B's name", CancellationToken.None);
        Assert.Equal(CheckStatus.Pass, check.Status);
    }

    [Fact]
    public async Task A_URI_SAN_naming_another_tenant_is_refused_when_the_tenant_CA_constrains_URIs_too()
    {
        // verify_and_map tries SAN DNS names, then URIs (nats-server server/auth.go): a URI SAN whose text is B's user
        // name would map to B. A name constraint on URIs (permitted ".<tenant>.serviceradar") makes Go refuse a URI
        // without a host in the tenant's domain, so the certificate fails verification.
        var forged = nats.CaA.IssueClient([$"unknown.default.{nats.A.Tenant}.serviceradar"], rawUri: NatsServerFixture.Agent(nats.B));
        var check = await Probes.ConnectionRefusedAsync("uri_san_refused", forged, "a URI SAN naming B's identity", CancellationToken.None);
        Assert.Equal(CheckStatus.Pass, check.Status);
    }

    [Fact]
    public async Task Without_a_URI_name_constraint_a_URI_SAN_would_map_to_another_tenant()
    {
        // Why the tenant CA must constrain URIs as well as DNS names (docs/nats.md): a DNS-only constraint lets A's CA
        // issue a certificate the server maps to B's user. This CA is in no bundle the product writes; the test
        // trusts it on a second, throwaway bundle entry only to show the mapping.
        using var dnsOnly = nats.Root.CreateIntermediate($"{nats.A.Tenant} DNS-only CA", $"{nats.A.Tenant}.serviceradar", constrainUris: false);
        var forged = dnsOnly.IssueClient([$"unknown.default.{nats.A.Tenant}.serviceradar"], rawUri: NatsServerFixture.Agent(nats.B));
        nats.WriteClientCaBundle(nats.CaA, nats.CaB, nats.PlatformCa, dnsOnly);
        try
        {
            await nats.ReloadAsync();
            var check = await Probes.ConnectionRefusedAsync("uri_san_refused", forged, "a URI SAN naming B's identity", CancellationToken.None);
            Assert.Equal("CONNECTED", check.Result);
        }
        finally
        {
            nats.WriteClientCaBundle(nats.CaA, nats.CaB, nats.PlatformCa);
            await nats.ReloadAsync();
        }
    }

    [Fact]
    public async Task A_certificate_of_a_CA_not_in_the_bundle_is_refused()
    {
        var retired = nats.CaC.IssueClient([NatsServerFixture.Agent(nats.C)]);
        var check = await Probes.ConnectionRefusedAsync("untrusted_ca_refused", retired, "C's CA is not in the client-CA bundle", CancellationToken.None);
        Assert.Equal(CheckStatus.Pass, check.Status);
        Assert.Equal("REFUSED", check.Result);
    }

    [Fact]
    public async Task A_certificate_with_only_a_common_name_maps_to_no_user()
    {
        var cnOnly = nats.CaA.IssueClient([], commonName: NatsServerFixture.Agent(nats.A));
        var check = await Probes.ConnectionRefusedAsync("cn_only_refused", cnOnly, "no SAN DNS name", CancellationToken.None);
        Assert.Equal(CheckStatus.Pass, check.Status);
        Assert.Contains("Authorization Violation", check.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Another_tenants_stream_is_invisible_and_the_own_stream_has_the_configured_limits()
    {
        var invisible = await Probes.ForeignStreamInvisibleAsync(nats.A, nats.IdentityA, nats.B, CancellationToken.None);
        Assert.Equal(CheckStatus.Pass, invisible.Status);
        var limits = await Probes.OwnStreamWithinLimitsAsync(nats.A, nats.IdentityA, NatsServerFixture.Limits, CancellationToken.None);
        Assert.Equal(CheckStatus.Pass, limits.Status);

        // Outside the product: B's stream holds B's message, which A cannot fetch even by sequence.
        await using var b = await nats.ConnectAsync(nats.IdentityB, nats.B);
        var ack = await new NatsJSContext(b).PublishAsync($"{nats.B.SubjectPrefix}orders.1", "b-secret");
        ack.EnsureSuccess();
        await using var a = await nats.ConnectAsync(nats.IdentityA, nats.A);
        var jsA = new NatsJSContext(a);
        await Assert.ThrowsAnyAsync<Exception>(async () => await jsA.GetStreamAsync(nats.B.StreamName));
    }

    [Fact]
    public async Task JetStream_account_limits_are_enforced()
    {
        await using var admin = await nats.PlatformConnectionAsync();
        var js = TenantStreams.PlatformContext(admin, nats.A);
        // max_streams 1: the tenant's stream exists, a second is refused.
        var second = await Assert.ThrowsAsync<NatsJSApiException>(async () =>
            await js.CreateStreamAsync(new StreamConfig(nats.A.StreamName + "x", [$"{nats.A.SubjectPrefix}extra.>"]) { Storage = StreamConfigStorage.File }));
        Assert.Contains("maximum number of streams", second.Error.Description, StringComparison.OrdinalIgnoreCase);
        // max_store 1 MiB: a stream asking for more is refused.
        var tooBig = await Assert.ThrowsAsync<NatsJSApiException>(async () =>
            await js.UpdateStreamAsync(TenantStreams.Config(nats.A, NatsServerFixture.Limits with { MaxStoreBytes = 8L * 1024 * 1024 })));
        Assert.Contains("insufficient storage resources", tooBig.Error.Description, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task The_platform_admin_observes_every_tenants_subjects()
    {
        await using var admin = await nats.PlatformConnectionAsync();
        await using var subscription = await admin.SubscribeCoreAsync<string>(nats.A.Subjects);
        await admin.PingAsync();
        await using var a = await nats.ConnectAsync(nats.IdentityA, nats.A);
        await a.PublishAsync($"{nats.A.SubjectPrefix}status", "up");
        await a.PingAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        var message = await subscription.Msgs.ReadAsync(timeout.Token);
        Assert.Equal("up", message.Data);
    }

    [Fact]
    public async Task Doctor_reports_the_server_its_TLS_its_configuration_and_its_accounts_on_one_line()
    {
        using var host = new HostProcess();
        host.Environment["RUNBOOKHOST_Nats__Url"] = nats.Endpoint.Url;
        host.Environment["RUNBOOKHOST_Nats__ConfigFile"] = nats.Control.ConfigFile;
        host.Environment["RUNBOOKHOST_Nats__MonitorUrl"] = nats.Control.MonitorUrl.ToString();

        var run = await host.Run("doctor");

        var line = Assert.Single(run.StandardOutput.Split('\n'), l => l.Contains("nats ", StringComparison.Ordinal));
        Assert.StartsWith("ok", line);
        Assert.Contains("nats-server 2.9", line);
        Assert.Contains("TLS with client certificates", line);
        Assert.Contains(nats.Control.ConfigFile, line);
        Assert.Contains("4 accounts", line); // PLATFORM and tenants A, B, C

        host.Environment["RUNBOOKHOST_Nats__Url"] = $"tls://127.0.0.1:{nats.MonitorPort + 9}";
        var down = await host.Run("doctor");
        Assert.StartsWith("FAIL", Assert.Single(down.StandardOutput.Split('\n'), l => l.Contains("nats ", StringComparison.Ordinal)));
        Assert.Equal(1, down.ExitCode);
    }
}
