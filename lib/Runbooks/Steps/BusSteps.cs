using RunbookHost.Evidence;
using RunbookHost.Nats;
using RunbookHost.Pki;
using RunbookHost.Tenants;

namespace RunbookHost.Runbooks.Steps;

/// <summary>
/// The tenant's message bus as runbook steps (docs/nats.md; process isolation tasks 7.x, 6.5). Provision: the tenant's
/// account (its subjects <c>&lt;tenant&gt;.&gt;</c> and inboxes) and its JetStream stream, applied with a confirmed reload.
/// Verify: live probes from the tenant's side. Deprovision: stream and account removed, then, after the PKI revoked
/// the tenant's CA, the trust bundle re-applied and a certificate issued before the removal proven refused.
/// </summary>
public sealed class BusSteps
{
    private readonly TenantRun run;
    private readonly BusPlatform? bus;
    private readonly string whyDisabled;
    private NatsClientIdentity? issuedBeforeRemoval;
    /// <summary>Whether the tenant had (or may have had) a NATS account when the run started; Deprovision forgets it in the ledger.</summary>
    private readonly bool hadAccount;

    internal BusSteps(TenantRun run, BusPlatform? bus, string whyDisabled)
    {
        this.run = run;
        this.bus = bus;
        this.whyDisabled = whyDisabled;
        hadAccount = !run.Scope.Components.IsKnown || run.Scope.Components.Has(Component.Nats);
    }

    private RunScope Scope => run.Scope;
    private TenantId Tenant => run.Tenant;
    private TenantBus Names => new(Tenant);

    /// <summary>
    /// The tenant's account (users: its component identities and the verifier's probe identity) and stream, recorded
    /// as Component.Nats. The stream is created as platform-admin.serviceradar (the one identity that crosses tenants;
    /// its certificate serial is in this step's ledger detail). Undo: stream deleted, account removed, reloaded.
    /// </summary>
    public IRunbookOperation Provision()
    {
        if (bus is null)
            return new SkippedOperation(whyDisabled);
        var limits = bus.Settings.TenantLimits;
        return new RunbookOperation(
            [
                $"nats-server configuration {bus.Settings.ConfigFile}: account {Names.AccountName}; users = the tenant's component identities and {BusPlatform.ProbeIdentity(Tenant)}; publish/subscribe only {Names.Subjects} and {Names.Inboxes} (+ reading its stream's JetStream API), allow_responses",
                $"account JetStream limits: memory {limits.MaxMemoryBytes} B, store {limits.MaxStoreBytes} B, {limits.MaxStreams} stream(s), {limits.MaxConsumers} consumers; client-CA bundle {bus.Settings.EffectiveClientCaFile} = active and retiring tenant CAs + platform-admin CA (never the root)",
                "nats-server -t, atomic write, reload (SIGHUP to the pid file's nats-server), confirmed by /varz config_load_time; rolled back on failure",
                $"as platform-admin.serviceradar (platform identity, crosses into the tenant account via $JS.{Tenant}.API): stream {Names.StreamName} on {Names.Subjects}, file storage, max bytes {limits.MaxStoreBytes}",
            ],
            async ct =>
            {
                using var configuration = bus.LockConfiguration(ct);
                await ApplyAsync(including: Tenant, excluding: null, ct).ConfigureAwait(false);
                var serial = await WithPlatformAdminAsync((admin, c) => TenantStreams.EnsureAsync(admin, Names, limits, c), ct).ConfigureAwait(false);
                await run.Provisioned(Component.Nats, $"account {Names.AccountName}, stream {Names.StreamName} on {Names.Subjects} (created as platform-admin serial {serial})", ct).ConfigureAwait(false);
            },
            async ct =>
            {
                using var configuration = bus.LockConfiguration(ct);
                await WithPlatformAdminAsync((admin, c) => TenantStreams.DeleteAsync(admin, Names, c), ct).ConfigureAwait(false);
                await ApplyAsync(including: null, excluding: Tenant, ct).ConfigureAwait(false);
                await run.Removed(Component.Nats, ct).ConfigureAwait(false);
            });
    }

    /// <summary>The live probes, from the tenant's side, with a fresh short-lived certificate of its probe identity.</summary>
    public ICheckOperation Verify()
    {
        var notConfigured = bus is null ? whyDisabled : null;
        return Verification.Probe(Scope, Component.Nats, NatsProbes.Store, "bus", notConfigured,
            [
                $"a short-lived certificate for {BusPlatform.ProbeIdentity(Tenant)} from the tenant's CA connects over TLS and receives its own message on {Names.SubjectPrefix}probe.<nonce>",
                "the same identity publishing to and subscribing on another tenant's prefix: the server answers -ERR 'Permissions Violation'",
                "a certificate the tenant's CA signs for another tenant's name (in memory, never stored) is refused by the server (name constraint)",
                "a certificate of a look-alike CA (the tenant CA's subject, another key; not in the bundle) is refused",
                $"JetStream from the tenant's side: its account lists no other tenant's stream and cannot read one; stream {Names.StreamName} holds only {Names.Subjects} and the account has the configured limits",
            ],
            async ct =>
            {
                var pki = bus!.Pki;
                var others = await run.OtherTenants().ConfigureAwait(false);
                var other = new TenantBus(others.Count > 0 ? others[0] : TenantId.Parse(Tenant.Value == "othertenant" ? "othertenantb" : "othertenant"));
                NatsEndpoint endpoint;
                NatsClientIdentity probe, forged, untrusted;
                try
                {
                    endpoint = await bus.EndpointAsync(ct).ConfigureAwait(false);
                    probe = await bus.ProbeIdentityAsync(Tenant, ct).ConfigureAwait(false);
                    forged = await BusProbeCertificates.SignedForAnotherTenantAsync(pki, Tenant, BusPlatform.ProbeIdentity(other.Tenant), run.Services.Clock, ct).ConfigureAwait(false);
                    untrusted = await BusProbeCertificates.FromUntrustedLookAlikeCaAsync(pki, Tenant, BusPlatform.ProbeIdentity(Tenant), run.Services.Clock, ct).ConfigureAwait(false);
                }
                catch (Exception error) when (error is PkiException or PkiNotInitializedException or InvalidOperationException)
                {
                    return [CheckRecord.Incomplete(NatsProbes.Store, "bus", $"no probe certificate: {error.Message}")];
                }
                var probes = new NatsProbes(endpoint, run.Services.Clock);
                var checks = new List<CheckRecord> { await probes.OwnPrefixRoundTripAsync(Names, probe, ct).ConfigureAwait(false) };
                checks.AddRange(await probes.CrossTenantRefusedAsync(Names, probe, other, ct).ConfigureAwait(false));
                checks.Add(await probes.ConnectionRefusedAsync("name_constraint_refused", forged, $"tenant {Tenant}'s CA signed {other.Tenant}'s name", ct).ConfigureAwait(false));
                checks.Add(await probes.ConnectionRefusedAsync("untrusted_ca_refused", untrusted, "a CA not in the bundle (look-alike of the tenant's)", ct).ConfigureAwait(false));
                checks.Add(await probes.ForeignStreamInvisibleAsync(Names, probe, other, ct).ConfigureAwait(false));
                checks.Add(await probes.OwnStreamWithinLimitsAsync(Names, probe, bus.Settings.TenantLimits, ct).ConfigureAwait(false));
                return checks;
            });
    }

    /// <summary>
    /// Deprovision: a certificate is issued first (kept in memory for <see cref="VerifyRemoved"/>), then the stream is
    /// deleted as platform-admin and the account removed with a confirmed reload; Component.Nats forgotten.
    /// </summary>
    public IRunbookOperation Deprovision()
    {
        if (bus is null)
            return new SkippedOperation(whyDisabled);
        return new RunbookOperation(
            [
                $"issue a short-lived {BusPlatform.ProbeIdentity(Tenant)} certificate (kept in memory): the proof that a certificate issued before the removal no longer connects",
                $"as platform-admin.serviceradar: delete stream {Names.StreamName} (absent is fine)",
                $"nats-server configuration without account {Names.AccountName}; reload confirmed by /varz config_load_time",
            ],
            async ct =>
            {
                try { issuedBeforeRemoval = await bus.ProbeIdentityAsync(Tenant, ct).ConfigureAwait(false); }
                catch (PkiException) { issuedBeforeRemoval = null; } // no active CA any more: VerifyRemoved says incomplete
                using var configuration = bus.LockConfiguration(ct);
                // A tenant the registry knows without NATS never had a stream: nothing to delete, no admin connection needed.
                if (hadAccount)
                    await WithPlatformAdminAsync((admin, c) => TenantStreams.DeleteAsync(admin, Names, c), ct).ConfigureAwait(false);
                await ApplyAsync(including: null, excluding: Tenant, ct).ConfigureAwait(false);
                await run.Removed(Component.Nats, ct).ConfigureAwait(false);
            });
    }

    /// <summary>
    /// The configuration and client-CA bundle derived again from the registry and the PKI and applied: after a CA was revoked
    /// or retired (the server stops trusting it) or a component certificate issued (its identity becomes a user).
    /// </summary>
    public IRunbookOperation Apply()
    {
        if (bus is null)
            return new SkippedOperation(whyDisabled);
        return new RunbookOperation(
            [$"nats-server configuration {bus.Settings.ConfigFile} (each tenant account's users: the component identities the PKI issued) and client-CA bundle {bus.Settings.EffectiveClientCaFile} (active and retiring tenant CAs + platform-admin CA) rewritten; reload confirmed"],
            async ct =>
            {
                using var configuration = bus.LockConfiguration(ct);
                await ApplyAsync(including: null, excluding: null, ct).ConfigureAwait(false);
            });
    }

    /// <summary>After deprovisioning: the account is gone from the server and the certificate issued before the removal is refused.</summary>
    public ICheckOperation VerifyRemoved()
    {
        if (bus is null)
            return CheckOperation.Fixed(Scope.InsteadOfProbing(Component.Nats, NatsProbes.Store, "removed", whyDisabled)
                ?? CheckRecord.Incomplete(NatsProbes.Store, "removed", whyDisabled));
        if (!hadAccount)
            return CheckOperation.Fixed(CheckRecord.Skipped(NatsProbes.Store, "removed", $"tenant {Tenant} had no NATS account"));
        return new CheckOperation(
            [$"/accountz lists no account {Names.AccountName}; the certificate issued before the removal is refused by the server"],
            async ct =>
            {
                var checks = new List<CheckRecord>();
                try
                {
                    using var monitor = new NatsMonitor(new Uri(bus.Settings.MonitorUrl));
                    var accounts = await monitor.AccountsAsync(ct).ConfigureAwait(false);
                    checks.Add(Verification.Absence(NatsProbes.Store, "account_absent", !accounts.Contains(Names.AccountName), $"account {Names.AccountName}; the server has {accounts.Count} accounts"));
                }
                catch (Exception error) when (error is HttpRequestException or TaskCanceledException)
                {
                    checks.Add(CheckRecord.Incomplete(NatsProbes.Store, "account_absent", $"monitor {bus.Settings.MonitorUrl} unreachable"));
                }
                if (issuedBeforeRemoval is null)
                {
                    checks.Add(CheckRecord.Incomplete(NatsProbes.Store, "deprovisioned_refused", "no certificate was issued before the removal (the tenant had no active CA)"));
                    return checks;
                }
                var endpoint = await bus.EndpointAsync(ct).ConfigureAwait(false);
                checks.Add(await new NatsProbes(endpoint, run.Services.Clock)
                    .ConnectionRefusedAsync("deprovisioned_refused", issuedBeforeRemoval, "a certificate issued before the tenant was removed", ct).ConfigureAwait(false));
                return checks;
            });
    }

    private async Task ApplyAsync(TenantId? including, TenantId? excluding, CancellationToken cancellationToken)
    {
        var result = await bus!.ApplyAsync(including, excluding, cancellationToken).ConfigureAwait(false);
        if (!result.Succeeded)
            throw new NatsApplyException(result.Detail);
    }

    /// <summary>Runs <paramref name="action"/> connected as the platform admin; returns the admin certificate's serial.</summary>
    private async Task<string> WithPlatformAdminAsync<T>(Func<NATS.Client.Core.INatsConnection, CancellationToken, Task<T>> action, CancellationToken cancellationToken)
    {
        var (identity, serial) = await bus!.PlatformAdminAsync(cancellationToken).ConfigureAwait(false);
        var endpoint = await bus.EndpointAsync(cancellationToken).ConfigureAwait(false);
        await using var attempt = await NatsConnector.ConnectAsync(endpoint, identity, null, cancellationToken).ConfigureAwait(false);
        if (attempt.Connection is not { } connection)
            throw new NatsApplyException($"platform-admin cannot connect to {endpoint.Url}: {attempt.Detail}");
        await action(connection, cancellationToken).ConfigureAwait(false);
        return serial;
    }
}
