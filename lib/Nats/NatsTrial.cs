using System.Collections.Concurrent;

namespace RunbookHost.Nats;

/// <summary>How one publish-and-subscribe try on a subject ended, as a component holding an onboarding package sees it.</summary>
public enum NatsTrialOutcome
{
    /// <summary>Subscribed and received what it published.</summary>
    Delivered,
    /// <summary>The server refused the publish or the subscription with a permissions violation.</summary>
    Refused,
    /// <summary>The server refused the connection (TLS client verification, or no user for the certificate's name).</summary>
    ConnectionRefused,
    /// <summary>No server answered, or the message did not come back in time: nothing can be concluded.</summary>
    Inconclusive,
}

public sealed record NatsTrialResult(NatsTrialOutcome Outcome, string Detail);

/// <summary>
/// An operator's by-hand check of the bus (`runbook-host nats try`): with a component's certificate, subscribe to a
/// subject and publish on it, and report whether the message came back or which refusal the server sent.
/// </summary>
public static class NatsTrial
{
    public static async Task<NatsTrialResult> PublishAndSubscribeAsync(
        NatsEndpoint endpoint, NatsClientIdentity identity, string inboxPrefix, string subject, CancellationToken cancellationToken)
    {
        await using var attempt = await NatsConnector.ConnectAsync(endpoint, identity, inboxPrefix, cancellationToken);
        if (attempt.Connection is not { } connection)
            return new(attempt.Outcome == NatsConnectOutcome.Refused ? NatsTrialOutcome.ConnectionRefused : NatsTrialOutcome.Inconclusive, attempt.Detail);
        var errors = new ConcurrentQueue<string>();
        connection.ServerError += (_, e) => { errors.Enqueue(e.Error); return ValueTask.CompletedTask; };
        await using var subscription = await connection.SubscribeCoreAsync<string>(subject, cancellationToken: cancellationToken);
        if (await NatsProbes.ViolationAsync(connection, errors, "Subscription", subject, cancellationToken) is { } subscribeRefused)
            return new(NatsTrialOutcome.Refused, $"subscribe refused: {subscribeRefused}");
        var payload = Guid.NewGuid().ToString("N");
        await connection.PublishAsync(subject, payload, cancellationToken: cancellationToken);
        if (await NatsProbes.ViolationAsync(connection, errors, "Publish", subject, cancellationToken) is { } publishRefused)
            return new(NatsTrialOutcome.Refused, $"publish refused: {publishRefused}");
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        wait.CancelAfter(endpoint.Timeout);
        try
        {
            while (true)
            {
                var message = await subscription.Msgs.ReadAsync(wait.Token);
                if (message.Data == payload)
                    return new(NatsTrialOutcome.Delivered, $"published and received on {subject}");
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new(NatsTrialOutcome.Inconclusive, $"no refusal, but the message did not come back within {endpoint.Timeout.TotalSeconds:0} s");
        }
    }
}
