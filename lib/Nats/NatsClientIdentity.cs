using System.Security.Cryptography.X509Certificates;

namespace RunbookHost.Nats;

/// <summary>
/// A client certificate (with its private key) and the chain it presents (issuer first, root excluded): the server
/// verifies it against its client-CA bundle and maps its SAN DNS name to a user.
/// </summary>
public sealed record NatsClientIdentity(X509Certificate2 Certificate, IReadOnlyList<X509Certificate2> Chain)
{
    /// <summary>The SAN DNS names, i.e. the NATS user names this certificate can map to.</summary>
    public IReadOnlyList<string> DnsNames =>
        Certificate.Extensions.OfType<X509SubjectAlternativeNameExtension>().SelectMany(san => san.EnumerateDnsNames()).ToList();
}

/// <summary>
/// Where the server is (<c>tls://127.0.0.1:4222</c>) and which CA certificates the client accepts for the server's
/// certificate (the platform root): the client verifies the server, never skips it.
/// </summary>
public sealed record NatsEndpoint(string Url, X509Certificate2Collection ServerTrust)
{
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(5);
}
