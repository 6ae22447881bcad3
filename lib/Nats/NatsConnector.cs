using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using NATS.Client.Core;

namespace RunbookHost.Nats;

/// <summary>How a connection attempt ended: connected, refused by the server, or the server was not reached.</summary>
public enum NatsConnectOutcome
{
    Connected,
    /// <summary>The server answered and refused (TLS client verification, or no user for the certificate's name).</summary>
    Refused,
    /// <summary>No server answered: nothing can be concluded about isolation (a probe is incomplete, never a pass).</summary>
    Unreachable,
}

public sealed record NatsConnectAttempt(NatsConnectOutcome Outcome, NatsConnection? Connection, string Detail) : IAsyncDisposable
{
    public async ValueTask DisposeAsync()
    {
        if (Connection is not null)
            await Connection.DisposeAsync();
    }
}

/// <summary>Connects to nats-server with a client certificate over TLS (NATS.Net), the server verified against <see cref="NatsEndpoint.ServerTrust"/>.</summary>
public static class NatsConnector
{
    public static NatsOpts Options(NatsEndpoint endpoint, NatsClientIdentity identity, string? inboxPrefix) => new()
    {
        Url = endpoint.Url,
        Name = "runbook-host",
        InboxPrefix = inboxPrefix ?? "_INBOX",
        ConnectTimeout = endpoint.Timeout,
        RequestTimeout = endpoint.Timeout,
        CommandTimeout = endpoint.Timeout,
        RetryOnInitialConnect = false,
        MaxReconnectRetry = 0,
        TlsOpts = new NatsTlsOpts
        {
            Mode = TlsMode.Require,
            ConfigureClientAuthentication = options =>
            {
                options.ClientCertificateContext = SslStreamCertificateContext.Create(
                    identity.Certificate, new X509Certificate2Collection(identity.Chain.ToArray()), offline: true);
                options.RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
                    certificate is not null && IsTrustedServer(new X509Certificate2(certificate), endpoint.ServerTrust, errors);
                return ValueTask.CompletedTask;
            },
        },
    };

    /// <summary>Connects; a refusal or an unreachable server is an outcome, not an exception.</summary>
    public static async Task<NatsConnectAttempt> ConnectAsync(NatsEndpoint endpoint, NatsClientIdentity identity, string? inboxPrefix, CancellationToken cancellationToken)
    {
        var connection = new NatsConnection(Options(endpoint, identity, inboxPrefix));
        try
        {
            await connection.ConnectAsync().AsTask().WaitAsync(endpoint.Timeout * 2, cancellationToken);
            await connection.PingAsync(cancellationToken);
            return new(NatsConnectOutcome.Connected, connection, $"connected to {endpoint.Url}");
        }
        catch (Exception error) when (error is NatsException or IOException or AuthenticationException or SocketException or TimeoutException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            await connection.DisposeAsync();
            return Classify(endpoint, error);
        }
    }

    private static NatsConnectAttempt Classify(NatsEndpoint endpoint, Exception error)
    {
        var chain = new List<Exception>();
        for (Exception? e = error; e is not null; e = e.InnerException)
            chain.Add(e);
        chain.AddRange(chain.OfType<AggregateException>().SelectMany(a => a.InnerExceptions).ToList());
        var innermost = chain[^1].Message.Split('\n')[0];
        if (chain.Any(e => e.Message.Contains("Authorization Violation", StringComparison.OrdinalIgnoreCase)))
            return new(NatsConnectOutcome.Refused, null, "the server refused the identity: Authorization Violation");
        if (chain.Any(e => e is SocketException or TimeoutException))
            return new(NatsConnectOutcome.Unreachable, null, $"{endpoint.Url} unreachable: {innermost}");
        if (chain.Any(e => e is AuthenticationException or IOException))
            return new(NatsConnectOutcome.Refused, null, $"the server ended the TLS session: {innermost}");
        return new(NatsConnectOutcome.Unreachable, null, $"{endpoint.Url}: {innermost}");
    }

    /// <summary>The server's certificate chains to one of <paramref name="trust"/> and names the host connected to.</summary>
    public static bool IsTrustedServer(X509Certificate2 certificate, X509Certificate2Collection trust, SslPolicyErrors errors)
    {
        if ((errors & (SslPolicyErrors.RemoteCertificateNameMismatch | SslPolicyErrors.RemoteCertificateNotAvailable)) != 0)
            return false;
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(trust);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.ApplicationPolicy.Add(new System.Security.Cryptography.Oid("1.3.6.1.5.5.7.3.1"));
        return chain.Build(certificate);
    }
}
