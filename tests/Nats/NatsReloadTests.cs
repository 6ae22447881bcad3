using RunbookHost.Evidence;
using RunbookHost.Nats;
using RunbookHost.Tests.Support;

namespace RunbookHost.Tests.Nats;

/// <summary>
/// Applying changes to the real nats-server: reload confirmed by /varz, rollback when the server does not load a
/// change, trust withdrawn by removing a CA from the bundle, a tenant's account removed. Each test starts from the
/// fixture's initial configuration, so the order does not matter.
/// </summary>
public sealed class NatsReloadTests(NatsServerFixture nats) : IClassFixture<NatsServerFixture>
{
    private NatsProbes Probes => new(nats.Endpoint, TimeProvider.System);

    private string InitialBundle => NatsServerFixture.Bundle(nats.CaA, nats.CaB, nats.PlatformCa);

    private async Task ResetAsync()
    {
        var reset = await nats.Applier().ApplyAsync(nats.InitialConfiguration(), InitialBundle, CancellationToken.None);
        Assert.True(reset.Succeeded, reset.Detail);
    }

    private async Task<DateTimeOffset> ConfigLoadTimeAsync()
    {
        using var monitor = new NatsMonitor(nats.Control.MonitorUrl);
        return (await monitor.VarzAsync(CancellationToken.None)).ConfigLoadTime;
    }

    [Fact]
    public async Task Applying_the_same_configuration_again_changes_nothing_and_does_not_reload()
    {
        await ResetAsync();
        var loaded = await ConfigLoadTimeAsync();
        var again = await nats.Applier().ApplyAsync(nats.InitialConfiguration(), InitialBundle, CancellationToken.None);
        Assert.Equal(NatsApplyOutcome.Unchanged, again.Outcome);
        Assert.Equal(loaded, await ConfigLoadTimeAsync());
    }

    [Fact]
    public async Task A_CA_removed_from_the_bundle_no_longer_admits_its_certificates_after_the_reload()
    {
        await ResetAsync();
        Assert.Equal(CheckStatus.Pass, (await Probes.OwnPrefixRoundTripAsync(nats.B, nats.IdentityB, CancellationToken.None)).Status);

        var retired = await nats.Applier().ApplyAsync(nats.InitialConfiguration(), NatsServerFixture.Bundle(nats.CaA, nats.PlatformCa), CancellationToken.None);

        Assert.Equal(NatsApplyOutcome.Reloaded, retired.Outcome);
        var check = await Probes.ConnectionRefusedAsync("retired_ca_refused", nats.IdentityB, "B's CA was removed from the bundle", CancellationToken.None);
        Assert.Equal(CheckStatus.Pass, check.Status);
        Assert.Equal(CheckStatus.Pass, (await Probes.OwnPrefixRoundTripAsync(nats.A, nats.IdentityA, CancellationToken.None)).Status);
    }

    [Fact]
    public async Task A_removed_tenant_account_refuses_its_previously_issued_certificate()
    {
        await ResetAsync();
        var withoutB = await nats.Applier().ApplyAsync(nats.Configuration(nats.A, nats.C), NatsServerFixture.Bundle(nats.CaA, nats.PlatformCa), CancellationToken.None);

        Assert.Equal(NatsApplyOutcome.Reloaded, withoutB.Outcome);
        Assert.Equal(CheckStatus.Pass, (await Probes.ConnectionRefusedAsync("deprovisioned_refused", nats.IdentityB, "B was deprovisioned", CancellationToken.None)).Status);
        using var monitor = new NatsMonitor(nats.Control.MonitorUrl);
        Assert.DoesNotContain(nats.B.AccountName, await monitor.AccountsAsync(CancellationToken.None));
        // B's account is gone but its CA still trusted (e.g. mid-rotation): the name maps to no user.
        await nats.Applier().ApplyAsync(nats.Configuration(nats.A, nats.C), InitialBundle, CancellationToken.None);
        var check = await Probes.ConnectionRefusedAsync("deprovisioned_refused", nats.IdentityB, "B's account was removed", CancellationToken.None);
        Assert.Equal(CheckStatus.Pass, check.Status);
        Assert.Contains("Authorization Violation", check.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_change_the_server_cannot_reload_is_rolled_back_and_the_old_configuration_keeps_serving()
    {
        await ResetAsync();
        var before = await File.ReadAllTextAsync(nats.Control.ConfigFile);
        // nats-server cannot change its listen port on reload: -t accepts the file, the reload does not take.
        var moved = nats.InitialConfiguration() with { Server = nats.Settings with { Port = nats.Settings.Port + 1 } };

        var result = await nats.Applier().ApplyAsync(moved, InitialBundle, CancellationToken.None);

        Assert.Equal(NatsApplyOutcome.RolledBack, result.Outcome);
        Assert.False(result.Succeeded);
        Assert.DoesNotContain('\n', result.Detail);
        Assert.Equal(before, await File.ReadAllTextAsync(nats.Control.ConfigFile));
        Assert.Equal(CheckStatus.Pass, (await Probes.OwnPrefixRoundTripAsync(nats.A, nats.IdentityA, CancellationToken.None)).Status);
        Assert.Contains("config reload not supported for port", nats.Log(), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task A_configuration_nats_server_refuses_is_never_written()
    {
        await ResetAsync();
        var before = await File.ReadAllTextAsync(nats.Control.ConfigFile);
        var loaded = await ConfigLoadTimeAsync();
        var broken = NatsConfigWriter.Render(nats.InitialConfiguration()).Replace("verify_and_map: true", "verify_and_map: true\n  no_such_option: 1", StringComparison.Ordinal);

        var result = await nats.Applier().ApplyTextAsync(broken, InitialBundle, _ => broken, nats.Settings.ClientCaFile, CancellationToken.None);

        Assert.Equal(NatsApplyOutcome.Refused, result.Outcome);
        Assert.Contains("no_such_option", result.Detail, StringComparison.Ordinal);
        Assert.Equal(before, await File.ReadAllTextAsync(nats.Control.ConfigFile));
        Assert.Equal(loaded, await ConfigLoadTimeAsync());
    }

    [Fact]
    public async Task A_bundle_holding_the_root_is_refused_before_anything_is_written()
    {
        await ResetAsync();
        var withRoot = NatsServerFixture.Bundle(nats.CaA, nats.CaB, nats.PlatformCa, nats.Root);
        var result = await nats.Applier().ApplyAsync(nats.InitialConfiguration(), withRoot, CancellationToken.None);
        Assert.Equal(NatsApplyOutcome.Refused, result.Outcome);
        Assert.Contains("self-signed", result.Detail, StringComparison.Ordinal);
        Assert.Equal(InitialBundle, await File.ReadAllTextAsync(nats.Settings.ClientCaFile));
    }

    [Fact]
    public async Task A_new_tenant_applied_live_connects_and_reaches_its_own_prefix()
    {
        await ResetAsync();
        var d = new TenantBus(TestServers.NewTenantId());
        using var caD = nats.Root.CreateIntermediate($"{d.Tenant} CA", $"{d.Tenant}.serviceradar");
        var identityD = caD.IssueClient([NatsServerFixture.Agent(d)]);
        Assert.Equal(CheckStatus.Pass, (await Probes.ConnectionRefusedAsync("not_yet_provisioned", identityD, "D is not provisioned", CancellationToken.None)).Status);

        var added = await nats.Applier().ApplyAsync(nats.Configuration(nats.A, nats.B, nats.C, d), NatsServerFixture.Bundle(nats.CaA, nats.CaB, nats.PlatformCa, caD), CancellationToken.None);

        Assert.Equal(NatsApplyOutcome.Reloaded, added.Outcome);
        Assert.Equal(CheckStatus.Pass, (await Probes.OwnPrefixRoundTripAsync(d, identityD, CancellationToken.None)).Status);
        var cross = await Probes.CrossTenantRefusedAsync(d, identityD, nats.A, CancellationToken.None);
        Assert.All(cross, c => Assert.Equal(CheckStatus.Pass, c.Status));
    }

    [Fact]
    public async Task Probes_against_an_unreachable_server_are_incomplete_never_a_pass()
    {
        var closed = new NatsProbes(nats.Endpoint with { Url = $"tls://127.0.0.1:{nats.MonitorPort + 7}" }, TimeProvider.System);
        var checks = new List<CheckRecord>
        {
            await closed.OwnPrefixRoundTripAsync(nats.A, nats.IdentityA, CancellationToken.None),
            await closed.ConnectionRefusedAsync("name_constraint_refused", nats.IdentityB, "probe", CancellationToken.None),
            await closed.ForeignStreamInvisibleAsync(nats.A, nats.IdentityA, nats.B, CancellationToken.None),
        };
        checks.AddRange(await closed.CrossTenantRefusedAsync(nats.A, nats.IdentityA, nats.B, CancellationToken.None));
        Assert.All(checks, c => Assert.Equal(CheckStatus.Incomplete, c.Status));
    }
}
