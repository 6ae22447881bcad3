using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace RunbookHost.Nats;

/// <summary>
/// The server's client-CA bundle (<c>tls.ca_file</c>): only the CAs that issue client certificates and are trusted
/// now. Never a self-signed root: nats-server 2.9 has no CRL support, so trust is withdrawn by removing an
/// intermediate from the bundle, which the root's presence would undo (a client presenting the removed intermediate
/// in its chain would still verify up to the root).
/// </summary>
public static class NatsTrustBundle
{
    /// <summary>PEM of <paramref name="authorities"/>, each ending with a newline, in the given order.</summary>
    public static string Pem(IEnumerable<X509Certificate2> authorities)
    {
        var text = new StringBuilder();
        foreach (var authority in authorities)
            text.Append(authority.ExportCertificatePem()).Append('\n');
        return text.ToString();
    }

    public static bool IsValid(string pem, out string reason)
    {
        reason = "";
        var certificates = new X509Certificate2Collection();
        try { certificates.ImportFromPem(pem); }
        catch (System.Security.Cryptography.CryptographicException)
        {
            reason = "it is not PEM certificates";
            return false;
        }
        if (certificates.Count == 0)
            reason = "it holds no certificate";
        else if (certificates.Any(c => c.Extensions.OfType<X509BasicConstraintsExtension>().FirstOrDefault() is not { CertificateAuthority: true }))
            reason = "it holds a certificate that is not a CA";
        else if (certificates.Any(c => c.SubjectName.RawData.AsSpan().SequenceEqual(c.IssuerName.RawData)))
            reason = "it holds a self-signed (root) certificate: only client-issuing intermediates belong there";
        foreach (var certificate in certificates)
            certificate.Dispose();
        return reason.Length == 0;
    }
}
