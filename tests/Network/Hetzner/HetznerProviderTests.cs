using System.Net;
using System.Text.Json.Nodes;
using RunbookHost.Network.Hetzner;
using RunbookHost.Runbooks;
using RunbookHost.Tests.Support;

namespace RunbookHost.Tests.Network.Hetzner;

/// <summary>The hetzner provider against the in-process API stand-in: provision, verify, deprovision, rollback, rate limits, action failures.</summary>
public sealed class HetznerProviderTests(HetznerFixture fx) : IClassFixture<HetznerFixture>
{
    [Fact]
    public async Task ProvisionedTenantsPassEveryCheckAndDeprovisionLeavesNothingLabelled()
    {
        var (a, ledgerA) = await fx.ProvisionAsync();
        var (b, _) = await fx.ProvisionAsync();
        var range = (await fx.Db.Registry.GetNetworkAsync(a))!;
        Assert.Equal($"hetzner: tenant-{a} {range.Cidr}", ledgerA.Components[Component.Network]);
        var server = fx.Api.With(s => s.ServerNamed($"tenant-{a}"));
        Assert.Contains($"/mnt/tenant-{a}", server["user_data"]!.GetValue<string>());
        Assert.Equal("running", server["status"]!.GetValue<string>());

        var (steps, _) = fx.For(a, ledgerA);
        var checks = await steps.Verify().RunAsync(CancellationToken.None);
        StepSequence.AssertAllPass(checks);
        Assert.Contains(checks, c => c.Test == "explicit_outbound_rules" && c.Result == "PASS");
        Assert.Contains(checks, c => c.Test.StartsWith("in_from_tenant_", StringComparison.Ordinal) && c.Result == "DENIED");
        Assert.Contains(checks, c => c.Test == "in_https_from_gateway_192.0.2.10/32" && c.Result == "ALLOWED");
        StepSequence.AssertAllPass(await fx.Service.VerifyFleetAsync([a, b], CancellationToken.None));

        Assert.Null(await StepSequence.RunAsync(HetznerFixture.DeprovisionSteps(steps)));
        StepSequence.AssertAllPass(await steps.VerifyAbsent().RunAsync(CancellationToken.None));
        Assert.Empty(fx.Api.Resources($"tenant={a}"));
        Assert.Equal(4, fx.Api.Resources($"tenant={b}").Count); // the other tenant is untouched
        Assert.Null(await fx.Db.Registry.GetNetworkAsync(a));
        Assert.False(ledgerA.Components.ContainsKey(Component.Network));
    }

    [Theory]
    [InlineData("networks")]
    [InlineData("firewalls")]
    [InlineData("volumes")]
    [InlineData("servers")]
    public async Task AFailureAtAnyStepRollsBackEveryEarlierStep(string refused)
    {
        var tenant = TestServers.NewTenantId();
        fx.Api.Refuse("POST", refused, HttpStatusCode.UnprocessableEntity, "resource_limit_exceeded");
        var (steps, ledger) = fx.For(tenant);

        var failure = await StepSequence.RunAsync(HetznerFixture.ProvisionSteps(steps));

        var error = Assert.IsType<HetznerApiException>(failure);
        Assert.Equal("resource_limit_exceeded", error.Code);
        Assert.Empty(fx.Api.Resources($"tenant={tenant}"));
        Assert.Null(await fx.Db.Registry.GetNetworkAsync(tenant));
        Assert.Empty(ledger.Components);
    }

    [Fact]
    public async Task AFailedActionFailsTheStepAndRollsBack()
    {
        var tenant = TestServers.NewTenantId();
        fx.Api.FailAction("create_server", "placement_error", "no capacity in nbg1");
        var (steps, _) = fx.For(tenant);

        var failure = await StepSequence.RunAsync(HetznerFixture.ProvisionSteps(steps));

        Assert.Equal("Hetzner action create_server failed: placement_error: no capacity in nbg1", Assert.IsType<HetznerActionFailedException>(failure).Message);
        Assert.Empty(fx.Api.Resources($"tenant={tenant}"));
    }

    [Fact]
    public async Task TheRateLimitHeadersAreHonouredSoTheLimitIsNeverHit()
    {
        fx.Api.RateLimit = 4; // per second: provisioning needs about 20 requests
        try
        {
            var before = fx.Api.TooManyRequests;
            var started = System.Diagnostics.Stopwatch.StartNew();
            var (tenant, ledger) = await fx.ProvisionAsync();
            Assert.True(started.Elapsed > TimeSpan.FromSeconds(2), $"took {started.Elapsed}: it cannot have waited for the resets");
            Assert.Equal(before, fx.Api.TooManyRequests);
            StepSequence.AssertAllPass(await fx.For(tenant, ledger).Steps.Verify().RunAsync(CancellationToken.None));
        }
        finally
        {
            fx.Api.RateLimit = 0;
        }
    }

    [Fact]
    public async Task ARequestAnswered429IsRetriedAndSucceeds()
    {
        var before = fx.Provider.Client.RateLimited;
        fx.Api.Refuse("POST", "firewalls", HttpStatusCode.TooManyRequests, "rate_limit_exceeded");

        var (tenant, _) = await fx.ProvisionAsync();

        Assert.Equal(before + 1, fx.Provider.Client.RateLimited);
        Assert.Equal(4, fx.Api.Resources($"tenant={tenant}").Count);
    }

    [Fact]
    public async Task AGuestThatIgnoresShutdownIsPoweredOffAfterTheTimeout()
    {
        var (tenant, ledger) = await fx.ProvisionAsync();
        fx.Api.IgnoreAcpi = true;
        try
        {
            var (steps, _) = fx.For(tenant, ledger);
            Assert.Null(await StepSequence.RunAsync(steps.Shutdown()));
            Assert.Equal("off", fx.Api.With(s => s.ServerNamed($"tenant-{tenant}")["status"]!.GetValue<string>()));
            Assert.Contains(fx.Api.Requests, r => r.StartsWith("POST /v1/servers/", StringComparison.Ordinal) && r.EndsWith("/actions/poweroff", StringComparison.Ordinal));
        }
        finally
        {
            fx.Api.IgnoreAcpi = false;
        }
    }

    [Fact]
    public async Task AFailedDeprovisionPowersTheServerOnAgain()
    {
        var (tenant, ledger) = await fx.ProvisionAsync();
        fx.Api.Refuse("DELETE", "servers", HttpStatusCode.Forbidden, "forbidden");
        var (steps, _) = fx.For(tenant, ledger);

        var failure = await StepSequence.RunAsync(HetznerFixture.DeprovisionSteps(steps));

        Assert.Equal("forbidden", Assert.IsType<HetznerApiException>(failure).Code);
        Assert.Equal("running", fx.Api.With(s => s.ServerNamed($"tenant-{tenant}")["status"]!.GetValue<string>()));
        Assert.Equal(4, fx.Api.Resources($"tenant={tenant}").Count);
    }

    [Fact]
    public async Task TheRangeIsNotReleasedWhileAnythingOfTheTenantIsLeft()
    {
        var (tenant, ledger) = await fx.ProvisionAsync();
        var (steps, _) = fx.For(tenant, ledger);

        var failure = await StepSequence.RunAsync(steps.DeleteCompute(), steps.Release());

        Assert.Contains("range stays reserved", failure!.Message);
        Assert.NotNull(await fx.Db.Registry.GetNetworkAsync(tenant));
    }

    [Fact]
    public async Task AForeignFirewallThatOpensOutboundTrafficFailsVerification()
    {
        var (tenant, ledger) = await fx.ProvisionAsync();
        fx.Api.With(s =>
        {
            s.ApplyForeignFirewall($"tenant-{tenant}", [new JsonObject { ["direction"] = "out", ["protocol"] = "tcp", ["port"] = "1-65535", ["destination_ips"] = new JsonArray("0.0.0.0/0") }]);
            return 0;
        });

        var checks = await fx.For(tenant, ledger).Steps.Verify().RunAsync(CancellationToken.None);

        Assert.Equal("ALLOWED", Assert.Single(checks, c => c.Test == "out_https_to_elsewhere").Result);
        Assert.False(Assert.Single(checks, c => c.Test == "out_smtp_to_elsewhere").Pass);
    }

    [Fact]
    public async Task AFirewallWithoutOutboundRulesIsCaughtAsPitfall4()
    {
        var (tenant, ledger) = await fx.ProvisionAsync();
        fx.Api.With(s =>
        {
            var firewall = s.FirewallNamed($"tenant-{tenant}");
            firewall["rules"] = new JsonArray(firewall["rules"]!.AsArray().Where(r => r!["direction"]!.GetValue<string>() == "in").Select(r => r!.DeepClone()).ToArray());
            return 0;
        });

        var checks = await fx.For(tenant, ledger).Steps.Verify().RunAsync(CancellationToken.None);

        var pitfall = Assert.Single(checks, c => c.Test == "explicit_outbound_rules");
        Assert.False(pitfall.Pass);
        Assert.Contains("Pitfall 4", pitfall.Detail);
        Assert.False(Assert.Single(checks, c => c.Test == "out_https_to_elsewhere").Pass);

        // Provisioning again restores the explicit outbound set (set_rules), and verification passes.
        Assert.Null(await StepSequence.RunAsync(fx.For(tenant, ledger).Steps.Firewall()));
        StepSequence.AssertAllPass(await fx.For(tenant, ledger).Steps.Verify().RunAsync(CancellationToken.None));
    }

    [Fact]
    public async Task ListsArePagedAndProvisioningIsIdempotent()
    {
        var (tenant, ledger) = await fx.ProvisionAsync();
        fx.Api.MaxPerPage = 1;
        try
        {
            var (steps, _) = fx.For(tenant, ledger);
            Assert.Null(await StepSequence.RunAsync(HetznerFixture.ProvisionSteps(steps)));
            Assert.Equal(4, fx.Api.Resources($"tenant={tenant}").Count);
            StepSequence.AssertAllPass(await steps.Verify().RunAsync(CancellationToken.None));
        }
        finally
        {
            fx.Api.MaxPerPage = 50;
        }
    }

    [Fact]
    public async Task TheDnsRecordIsShownInADryRunAndPublishedThroughThePluggedIntegration()
    {
        var tenant = TestServers.NewTenantId();
        using var unplugged = fx.Create(null, s => s.DnsZone = "tenants.example.com");
        var skipped = Assert.IsType<SkippedOperation>(fx.For(tenant, service: unplugged).Steps.Dns());
        Assert.Contains($"tenant-{tenant}.tenants.example.com 300 IN A <the server's public IPv4>", skipped.Reason);

        var dns = new RecordingDns();
        using var plugged = fx.Create(dns, s => s.DnsZone = "tenants.example.com");
        var (steps, _) = fx.For(tenant, service: plugged);
        Assert.Contains($"recording: upsert tenant-{tenant}.tenants.example.com", Assert.Single(steps.Dns().Describe()));
        Assert.Null(await StepSequence.RunAsync(HetznerFixture.ProvisionSteps(steps)));
        var record = Assert.Single(dns.Records);
        Assert.Equal("A", record.Type);
        Assert.StartsWith("198.51.100.", record.Value);
        Assert.Null(await StepSequence.RunAsync(HetznerFixture.DeprovisionSteps(steps)));
        Assert.Empty(dns.Records);
    }

    private sealed class RecordingDns : IDnsRecordPublisher
    {
        public List<TenantDnsRecord> Records { get; } = [];
        public string Name => "recording";
        public Task UpsertAsync(TenantDnsRecord record, CancellationToken cancellationToken) { Records.RemoveAll(r => r.Name == record.Name); Records.Add(record); return Task.CompletedTask; }
        public Task RemoveAsync(TenantDnsRecord record, CancellationToken cancellationToken) { Records.RemoveAll(r => r.Name == record.Name); return Task.CompletedTask; }
    }
}
