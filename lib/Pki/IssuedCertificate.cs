using System.Security.Cryptography.X509Certificates;

namespace RunbookHost.Pki;

/// <summary>
/// A certificate just issued, with its private key (<c>Certificate.HasPrivateKey</c>), and the chain a peer needs to
/// reach the root: its issuer and any CA between that and the root, root excluded (empty for a certificate the root
/// signed itself, such as the server's). Disposing it disposes every certificate and the key.
/// </summary>
public sealed record IssuedCertificate(X509Certificate2 Certificate, IReadOnlyList<X509Certificate2> Chain) : IDisposable
{
    public string Serial => CertificateProfiles.SerialOf(Certificate);

    public string Fingerprint => CertificateProfiles.FingerprintOf(Certificate);

    public void Dispose()
    {
        Certificate.Dispose();
        foreach (var certificate in Chain)
            certificate.Dispose();
    }
}
