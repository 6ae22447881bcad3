using System.Formats.Asn1;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using RunbookHost.Nats;

namespace RunbookHost.Tests.Support;

/// <summary>
/// A throwaway CA for tests (never product code): ECDSA P-256 certificates made with CertificateRequest, so tests
/// can sign what the product never would (a tenant CA signing another tenant's name) and prove the server refuses it.
/// </summary>
public sealed class TestCertificateAuthority : IDisposable
{
    private static long serial = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() << 16;

    private TestCertificateAuthority(X509Certificate2 certificate, TestCertificateAuthority? issuer)
    {
        Certificate = certificate;
        Issuer = issuer;
    }

    /// <summary>The CA certificate with its private key.</summary>
    public X509Certificate2 Certificate { get; }

    public TestCertificateAuthority? Issuer { get; }

    /// <summary>This CA and its issuers up to, not including, the root (what a client presents after its leaf).</summary>
    public IReadOnlyList<X509Certificate2> ChainWithoutRoot
    {
        get
        {
            var chain = new List<X509Certificate2>();
            for (var ca = this; ca.Issuer is not null; ca = ca.Issuer)
                chain.Add(ca.Certificate);
            return chain;
        }
    }

    /// <summary>PEM with its final newline (ExportCertificatePem has none, so concatenated PEMs would run together).</summary>
    public string Pem => Certificate.ExportCertificatePem() + "\n";

    public static TestCertificateAuthority CreateRoot(string name)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 1, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        return new(certificate, null);
    }

    /// <summary>
    /// An intermediate (pathLen 0) whose name constraint permits only DNS names under <paramref name="permittedDomain"/>
    /// and, when <paramref name="constrainUris"/>, URIs with a host under it (so a URI SAN cannot name another tenant).
    /// </summary>
    public TestCertificateAuthority CreateIntermediate(string name, string? permittedDomain, bool constrainUris = true)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(Certificate, true, false));
        if (permittedDomain is not null)
            request.CertificateExtensions.Add(NameConstraints(permittedDomain, constrainUris));
        using var signed = request.Create(Certificate, DateTimeOffset.UtcNow.AddMinutes(-5), Certificate.NotAfter, NextSerial());
        return new(signed.CopyWithPrivateKey(key), this);
    }

    /// <summary>A client certificate (EKU clientAuth) with these SAN DNS names (and optionally a URI SAN), signed by this CA.</summary>
    /// <paramref name="rawUri"/> is written verbatim as a uniformResourceIdentifier (even a relative one, which
    /// SubjectAlternativeNameBuilder would not write): verify_and_map compares a URI SAN's text with user names.
    public NatsClientIdentity IssueClient(IReadOnlyList<string> dnsNames, string? commonName = null, string? rawUri = null)
    {
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={commonName ?? dnsNames.FirstOrDefault() ?? "client"}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.2")], false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(Certificate, true, false));
        if (dnsNames.Count > 0 || rawUri is not null)
            request.CertificateExtensions.Add(SubjectAlternativeNames(dnsNames, rawUri));
        using var signed = request.Create(Certificate, DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddHours(2), NextSerial());
        return new NatsClientIdentity(signed.CopyWithPrivateKey(key), [Certificate, .. (Issuer?.ChainWithoutRoot ?? [])]);
    }

    /// <summary>A server certificate (EKU serverAuth); returns the certificate PEM and the PKCS#8 key PEM.</summary>
    public (string CertificatePem, string KeyPem) IssueServer(IReadOnlyList<string> dnsNames, IReadOnlyList<IPAddress> addresses)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={dnsNames[0]}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        var san = new SubjectAlternativeNameBuilder();
        foreach (var name in dnsNames)
            san.AddDnsName(name);
        foreach (var address in addresses)
            san.AddIpAddress(address);
        request.CertificateExtensions.Add(san.Build());
        using var signed = request.Create(Certificate, DateTimeOffset.UtcNow.AddMinutes(-5), Certificate.NotAfter, NextSerial());
        return (signed.ExportCertificatePem(), key.ExportPkcs8PrivateKeyPem());
    }

    public void Dispose() => Certificate.Dispose();

    private static X509Extension SubjectAlternativeNames(IReadOnlyList<string> dnsNames, string? rawUri)
    {
        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            foreach (var name in dnsNames)
                writer.WriteCharacterString(UniversalTagNumber.IA5String, name, new Asn1Tag(TagClass.ContextSpecific, 2));
            if (rawUri is not null)
                writer.WriteCharacterString(UniversalTagNumber.IA5String, rawUri, new Asn1Tag(TagClass.ContextSpecific, 6));
        }
        return new X509Extension("2.5.29.17", writer.Encode(), critical: false);
    }

    /// <summary>RFC 5280 NameConstraints with permitted subtrees only: dNSName [2] and, optionally, uniformResourceIdentifier [6].</summary>
    private static X509Extension NameConstraints(string domain, bool constrainUris)
    {
        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        using (writer.PushSequence(new Asn1Tag(TagClass.ContextSpecific, 0, isConstructed: true)))
        {
            using (writer.PushSequence())
                writer.WriteCharacterString(UniversalTagNumber.IA5String, domain, new Asn1Tag(TagClass.ContextSpecific, 2));
            if (constrainUris)
            {
                using (writer.PushSequence())
                    writer.WriteCharacterString(UniversalTagNumber.IA5String, "." + domain, new Asn1Tag(TagClass.ContextSpecific, 6));
            }
        }
        return new X509Extension("2.5.29.30", writer.Encode(), critical: true);
    }

    private static byte[] NextSerial()
    {
        var value = Interlocked.Increment(ref serial);
        var bytes = BitConverter.GetBytes(value);
        if (BitConverter.IsLittleEndian)
            Array.Reverse(bytes);
        return bytes;
    }
}
