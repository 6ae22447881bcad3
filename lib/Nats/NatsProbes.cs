using System.Collections.Concurrent;
using NATS.Client.Core;
using NATS.Client.JetStream;
using RunbookHost.Evidence;

namespace RunbookHost.Nats;

/// <summary>
/// Live isolation probes against the running nats-server, from a tenant identity's side. Each returns a check:
/// pass only when the server answered and behaved as isolation requires, fail when it answered otherwise, and
/// incomplete when it could not be reached (never a pass). Probe messages go to <c>&lt;tenant&gt;.probe.&lt;nonce&gt;</c>.
/// </summary>
public sealed class NatsProbes(NatsEndpoint endpoint, TimeProvider time)
{
    public const string Store = "nats";
    private static readonly TimeSpan ErrorGrace = TimeSpan.FromSeconds(2);

    /// <summary>The identity connects and receives what it published on its own prefix.</summary>
    public async Task<CheckRecord> OwnPrefixRoundTripAsync(TenantBus bus, NatsClientIdentity identity, CancellationToken cancellationToken)
    {
        const string test = "own_prefix_roundtrip";
        await using var attempt = await NatsConnector.ConnectAsync(endpoint, identity, bus.InboxPrefix, cancellationToken);
        if (attempt.Connection is not { } connection)
            return NotConnected(test, attempt, $"{Name(identity)} must connect");
        var subject = $"{bus.SubjectPrefix}probe.{Nonce()}";
        var payload = Nonce();
        await using var subscription = await connection.SubscribeCoreAsync<string>(subject, cancellationToken: cancellationToken);
        await connection.PingAsync(cancellationToken);
        await connection.PublishAsync(subject, payload, cancellationToken: cancellationToken);
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        wait.CancelAfter(endpoint.Timeout);
        try
        {
            var message = await subscription.Msgs.ReadAsync(wait.Token);
            var ok = message.Data == payload;
            return Check(test, ok ? "RECEIVED" : "WRONG_PAYLOAD", ok, $"{Name(identity)} published and received on {subject}");
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return Check(test, "NOT_RECEIVED", false, $"{Name(identity)} did not receive its own message on {subject} within {endpoint.Timeout.TotalSeconds:0} s");
        }
    }

    /// <summary>Publish to and subscribe on <paramref name="other"/>'s prefix are refused with a permissions violation.</summary>
    public async Task<IReadOnlyList<CheckRecord>> CrossTenantRefusedAsync(TenantBus own, NatsClientIdentity identity, TenantBus other, CancellationToken cancellationToken)
    {
        const string publishTest = "cross_tenant_publish_refused";
        const string subscribeTest = "cross_tenant_subscribe_refused";
        await using var attempt = await NatsConnector.ConnectAsync(endpoint, identity, own.InboxPrefix, cancellationToken);
        if (attempt.Connection is not { } connection)
            return [NotConnected(publishTest, attempt, $"{Name(identity)} must connect"), NotConnected(subscribeTest, attempt, $"{Name(identity)} must connect")];
        var errors = new ConcurrentQueue<string>();
        connection.ServerError += (_, e) => { errors.Enqueue(e.Error); return ValueTask.CompletedTask; };
        var foreign = $"{other.SubjectPrefix}probe.{Nonce()}";
        await connection.PublishAsync(foreign, "cross-tenant probe", cancellationToken: cancellationToken);
        var publish = await ViolationAsync(connection, errors, "Publish", foreign, cancellationToken);
        var subscription = await connection.SubscribeCoreAsync<string>(other.Subjects, cancellationToken: cancellationToken);
        var subscribe = await ViolationAsync(connection, errors, "Subscription", other.Subjects, cancellationToken);
        await subscription.DisposeAsync();
        return
        [
            Check(publishTest, publish is null ? "ACCEPTED" : "REFUSED", publish is not null,
                publish ?? $"{Name(identity)} published to {foreign} and the server reported no permissions violation"),
            Check(subscribeTest, subscribe is null ? "ACCEPTED" : "REFUSED", subscribe is not null,
                subscribe ?? $"{Name(identity)} subscribed to {other.Subjects} and the server reported no permissions violation"),
        ];
    }

    /// <summary>
    /// A certificate that must not connect (signed by one tenant's CA for another's name, of a CA no longer trusted,
    /// of a removed identity) is refused by the server. A connection is a fail; an unreachable server incomplete.
    /// </summary>
    public async Task<CheckRecord> ConnectionRefusedAsync(string test, NatsClientIdentity identity, string why, CancellationToken cancellationToken)
    {
        await using var attempt = await NatsConnector.ConnectAsync(endpoint, identity, null, cancellationToken);
        return attempt.Outcome switch
        {
            NatsConnectOutcome.Refused => Check(test, "REFUSED", true, $"{why}: {attempt.Detail}"),
            NatsConnectOutcome.Connected => Check(test, "CONNECTED", false, $"{why}, yet the server accepted {Name(identity)}"),
            _ => CheckRecord.Incomplete(Store, test, attempt.Detail),
        };
    }

    /// <summary>
    /// From <paramref name="own"/>'s identity: its account lists only its own stream, and asking for
    /// <paramref name="other"/>'s stream finds nothing (not found, or refused by permissions).
    /// </summary>
    public async Task<CheckRecord> ForeignStreamInvisibleAsync(TenantBus own, NatsClientIdentity identity, TenantBus other, CancellationToken cancellationToken)
    {
        const string test = "foreign_stream_invisible";
        await using var attempt = await NatsConnector.ConnectAsync(endpoint, identity, own.InboxPrefix, cancellationToken);
        if (attempt.Connection is not { } connection)
            return NotConnected(test, attempt, $"{Name(identity)} must connect");
        var js = new NatsJSContext(connection);
        var names = new List<string>();
        try
        {
            await foreach (var name in js.ListStreamNamesAsync(cancellationToken: cancellationToken))
                names.Add(name);
        }
        catch (NatsJSApiException error)
        {
            return Check(test, "ERROR", false, $"listing streams failed: {error.Error.Description}");
        }
        catch (NatsNoRespondersException)
        {
            return CheckRecord.Incomplete(Store, test, "JetStream did not answer the stream listing");
        }
        if (names.Contains(other.StreamName, StringComparer.Ordinal))
            return Check(test, "VISIBLE", false, $"{Name(identity)} lists stream {other.StreamName}");
        string lookup;
        try
        {
            await js.GetStreamAsync(other.StreamName, cancellationToken: cancellationToken);
            return Check(test, "READABLE", false, $"{Name(identity)} read the info of stream {other.StreamName}");
        }
        catch (NatsJSApiException error) when (error.Error.ErrCode == TenantStreams.StreamNotFound)
        {
            lookup = "not found";
        }
        catch (Exception error) when (error is NatsNoRespondersException or NatsJSApiNoResponseException or NatsException or TimeoutException)
        {
            // A tenant may not publish to another stream's API subject: the server drops the request, no answer.
            lookup = "refused (no answer)";
        }
        return Check(test, "INVISIBLE", true,
            $"{Name(identity)} lists [{string.Join(", ", names)}], looking up {other.StreamName}: {lookup}");
    }

    /// <summary>The tenant's stream exists on its subjects only, and the account's JetStream limits are the configured ones.</summary>
    public async Task<CheckRecord> OwnStreamWithinLimitsAsync(TenantBus bus, NatsClientIdentity identity, JetStreamLimits expected, CancellationToken cancellationToken)
    {
        const string test = "own_stream_limits";
        await using var attempt = await NatsConnector.ConnectAsync(endpoint, identity, bus.InboxPrefix, cancellationToken);
        if (attempt.Connection is not { } connection)
            return NotConnected(test, attempt, $"{Name(identity)} must connect");
        var js = new NatsJSContext(connection);
        try
        {
            var stream = await js.GetStreamAsync(bus.StreamName, cancellationToken: cancellationToken);
            var subjects = stream.Info.Config.Subjects?.ToList() ?? [];
            var account = await js.GetAccountInfoAsync(cancellationToken);
            var limits = account.Limits;
            var problems = new List<string>();
            if (subjects.Count != 1 || subjects[0] != bus.Subjects)
                problems.Add($"stream subjects [{string.Join(", ", subjects)}], expected [{bus.Subjects}]");
            if (limits.MaxMemory != expected.MaxMemoryBytes || limits.MaxStorage != expected.MaxStoreBytes
                || limits.MaxStreams != expected.MaxStreams || limits.MaxConsumers != expected.MaxConsumers)
                problems.Add($"account limits memory {limits.MaxMemory}, store {limits.MaxStorage}, streams {limits.MaxStreams}, consumers {limits.MaxConsumers}");
            return problems.Count == 0
                ? Check(test, "WITHIN_LIMITS", true, $"stream {bus.StreamName} on {bus.Subjects}; account limits memory {expected.MaxMemoryBytes} B, store {expected.MaxStoreBytes} B, {expected.MaxStreams} streams, {expected.MaxConsumers} consumers")
                : Check(test, "MISMATCH", false, string.Join("; ", problems));
        }
        catch (NatsJSApiException error)
        {
            return Check(test, "MISSING", false, $"stream {bus.StreamName}: {error.Error.Description}");
        }
    }

    internal static async Task<string?> ViolationAsync(NatsConnection connection, ConcurrentQueue<string> errors, string kind, string subject, CancellationToken cancellationToken)
    {
        // The server answers a refused PUB/SUB with -ERR before the PONG of a later PING; the event may lag slightly.
        await connection.PingAsync(cancellationToken);
        var expected = $"Permissions Violation for {kind} to \"{subject}\"";
        for (var waited = TimeSpan.Zero; waited < ErrorGrace; waited += TimeSpan.FromMilliseconds(50))
        {
            var seen = errors.FirstOrDefault(e => e.Contains(expected, StringComparison.OrdinalIgnoreCase));
            if (seen is not null)
                return $"server: -ERR '{seen}'";
            await Task.Delay(50, cancellationToken);
        }
        return null;
    }

    private CheckRecord NotConnected(string test, NatsConnectAttempt attempt, string expectation) => attempt.Outcome == NatsConnectOutcome.Refused
        ? Check(test, "CONNECT_REFUSED", false, $"{expectation}: {attempt.Detail}")
        : CheckRecord.Incomplete(Store, test, attempt.Detail);

    private CheckRecord Check(string test, string result, bool pass, string detail) => new(Store, test, result, time.GetUtcNow(), pass, detail);

    private static string Name(NatsClientIdentity identity) => identity.DnsNames.FirstOrDefault() ?? identity.Certificate.Subject;

    private static string Nonce() => Guid.NewGuid().ToString("N")[..12];
}
