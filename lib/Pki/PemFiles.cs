using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using RunbookHost.IO;

namespace RunbookHost.Pki;

/// <summary>Reading and writing the PKI's PEM files (certificates public, keys 0600), always atomically.</summary>
internal static class PemFiles
{
    /// <summary>An EC private key from its PKCS#8 bytes, which are zeroed whatever happens: the caller's copy is the last one.</summary>
    public static ECDsa ImportPrivateKeyAndZero(byte[] pkcs8)
    {
        try
        {
            var key = ECDsa.Create();
            key.ImportPkcs8PrivateKey(pkcs8, out _);
            return key;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(pkcs8);
        }
    }

    public static string CertificatePem(X509Certificate2 certificate) => PemEncoding.WriteString("CERTIFICATE", certificate.RawData) + "\n";

    public static string CertificatesPem(IEnumerable<X509Certificate2> certificates) => string.Concat(certificates.Select(CertificatePem));

    public static void WriteCertificate(string path, X509Certificate2 certificate) => AtomicFile.WriteText(path, CertificatePem(certificate), AtomicFile.PublicFile);

    public static X509Certificate2 ReadCertificate(string path)
    {
        var pem = File.ReadAllText(path);
        var fields = PemEncoding.Find(pem);
        if (pem[fields.Label] is not "CERTIFICATE")
            throw new PkiException($"{Path.GetFileName(path)} does not hold a PEM certificate");
        return X509CertificateLoader.LoadCertificate(Convert.FromBase64String(pem[fields.Base64Data]));
    }

    /// <summary>The private key as PKCS#8 PEM (for key.pem, written 0600 by the caller). The buffer with the DER is cleared.</summary>
    public static byte[] PrivateKeyPem(ECDsa key)
    {
        var der = key.ExportPkcs8PrivateKey();
        try
        {
            return Encoding.ASCII.GetBytes(PemEncoding.WriteString("PRIVATE KEY", der) + "\n");
        }
        finally
        {
            CryptographicOperations.ZeroMemory(der);
        }
    }

    /// <summary>True when <paramref name="key"/> is the private half of <paramref name="certificate"/>'s public key.</summary>
    public static bool IsKeyOf(ECDsa key, X509Certificate2 certificate)
    {
        using var publicKey = certificate.GetECDsaPublicKey();
        return publicKey is not null && publicKey.ExportSubjectPublicKeyInfo().AsSpan().SequenceEqual(key.ExportSubjectPublicKeyInfo());
    }
}

/// <summary>A PKI operation refused or broken; the message names what and why, never key material.</summary>
public sealed class PkiException(string message) : InvalidOperationException(message);
