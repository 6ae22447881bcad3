using System.Net;
using System.Numerics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace RunbookHost.Pki;

/// <summary>
/// The certificate profiles of the platform's hierarchy (docs/pki.md), built with CertificateRequest only:
/// root (P-384, CA pathLen 1) → tenant CA (P-256, pathLen 0, name-constrained to its tenant) → component certificate;
/// root → platform-admin CA (pathLen 0, constrained to the admin name) → admin certificate; root → server certificate.
/// Every certificate has a 128-bit random serial, SKI, AKI (except the root), and starts a few minutes in the past so a
/// peer whose clock lags slightly still accepts it. A child never outlives its issuer.
/// </summary>
public static class CertificateProfiles
{
    /// <summary>How far notBefore is set back, for peers with a clock slightly behind.</summary>
    public static readonly TimeSpan ClockSkew = TimeSpan.FromMinutes(5);

    public static readonly Oid ClientAuth = new("1.3.6.1.5.5.7.3.2", "TLS Web Client Authentication");
    public static readonly Oid ServerAuth = new("1.3.6.1.5.5.7.3.1", "TLS Web Server Authentication");

    public static X500DistinguishedName RootName() => Name("serviceradar platform root CA");

    public static X500DistinguishedName TenantCaName(Tenants.TenantId tenant) => Name($"{tenant.Value} tenant CA");

    public static X500DistinguishedName AdminCaName() => Name("serviceradar platform-admin CA");

    /// <summary>The self-signed platform root: CA with pathLen 1 (a tenant CA under it, no further CA under that).</summary>
    public static X509Certificate2 CreateRoot(ECDsa key, DateTimeOffset now, int lifetimeDays)
    {
        var request = new CertificateRequest(RootName(), key, HashAlgorithmName.SHA384);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 1, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        var selfSigned = request.Create(RootName(), X509SignatureGenerator.CreateForECDsa(key), now - ClockSkew, now.AddDays(lifetimeDays), NewSerial());
        return selfSigned;
    }

    /// <summary>An intermediate CA under the root: pathLen 0, keyCertSign|cRLSign, and the name constraint (critical).</summary>
    public static X509Certificate2 CreateIntermediate(X500DistinguishedName subject, ECDsa key, NameConstraints constraints,
        X509Certificate2 root, ECDsa rootKey, DateTimeOffset now, int lifetimeDays)
    {
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA384);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(constraints.ToExtension());
        return Sign(request, root, rootKey, now, lifetimeDays);
    }

    /// <summary>
    /// An end-entity certificate: CN and SAN DNS <paramref name="dnsNames"/>[0] (every name a SAN; addresses as IP SANs),
    /// CA:false, digitalSignature, EKU clientAuth (+ serverAuth when <paramref name="serves"/>). A certificate of
    /// <paramref name="tenant"/> has the subject O=serviceradar, OU=tenant, CN=name: inside its CA's directory-name constraint.
    /// <paramref name="moreNames"/> adds SANs of other forms (only verify's refusal probes use it).
    /// </summary>
    public static X509Certificate2 CreateLeaf(IReadOnlyList<string> dnsNames, IReadOnlyList<IPAddress> addresses, bool clientAuth, bool serves, ECDsa key,
        X509Certificate2 issuer, ECDsa issuerKey, DateTimeOffset now, int lifetimeDays, Tenants.TenantId? tenant = null,
        Action<SubjectAlternativeNameBuilder>? moreNames = null)
    {
        ArgumentOutOfRangeException.ThrowIfZero(dnsNames.Count);
        // The builder encodes the RDNs in the reverse of the order added: this encodes O, OU, CN, so the subject starts
        // with the CA's permitted directory name (NameConstraints.TenantDirectory).
        var subject = new X500DistinguishedNameBuilder();
        subject.AddCommonName(dnsNames[0]);
        if (tenant is not null)
        {
            subject.AddOrganizationalUnitName(tenant.Value);
            subject.AddOrganizationName(ComponentIdentity.Suffix);
        }
        var request = new CertificateRequest(subject.Build(), key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        var usages = new OidCollection();
        if (clientAuth)
            usages.Add(ClientAuth);
        if (serves)
            usages.Add(ServerAuth);
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(usages, false));
        var san = new SubjectAlternativeNameBuilder();
        foreach (var dns in dnsNames)
            san.AddDnsName(dns);
        foreach (var address in addresses)
            san.AddIpAddress(address);
        moreNames?.Invoke(san);
        request.CertificateExtensions.Add(san.Build(critical: false));
        return Sign(request, issuer, issuerKey, now, lifetimeDays);
    }

    /// <summary>Lowercase hex of the serial, big-endian, as the registry and the evidence write it.</summary>
    public static string SerialOf(X509Certificate2 certificate) => certificate.SerialNumber.ToLowerInvariant();

    /// <summary>Lowercase hex SHA-256 of the DER certificate.</summary>
    public static string FingerprintOf(X509Certificate2 certificate) => certificate.GetCertHashString(HashAlgorithmName.SHA256).ToLowerInvariant();

    /// <summary>A fresh P-256 key (tenant CAs, components, server, admin).</summary>
    public static ECDsa NewP256() => ECDsa.Create(ECCurve.NamedCurves.nistP256);

    /// <summary>A fresh P-384 key (the root).</summary>
    public static ECDsa NewP384() => ECDsa.Create(ECCurve.NamedCurves.nistP384);

    /// <summary>16 random octets, the top bit cleared (a positive INTEGER) and the next set (always 16 octets long).</summary>
    public static byte[] NewSerial()
    {
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] = (byte)((serial[0] & 0x7f) | 0x40);
        return serial;
    }

    private static X509Certificate2 Sign(CertificateRequest request, X509Certificate2 issuer, ECDsa issuerKey, DateTimeOffset now, int lifetimeDays)
    {
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(issuer, includeKeyIdentifier: true, includeIssuerAndSerial: false));
        var notAfter = now.AddDays(lifetimeDays);
        var issuerEnd = new DateTimeOffset(issuer.NotAfter.ToUniversalTime());
        if (notAfter > issuerEnd)
            notAfter = issuerEnd;
        var notBefore = now - ClockSkew;
        var issuerStart = new DateTimeOffset(issuer.NotBefore.ToUniversalTime());
        if (notBefore < issuerStart)
            notBefore = issuerStart;
        return request.Create(issuer.SubjectName, X509SignatureGenerator.CreateForECDsa(issuerKey), notBefore, notAfter, NewSerial());
    }

    private static X500DistinguishedName Name(string commonName)
    {
        var builder = new X500DistinguishedNameBuilder();
        builder.AddOrganizationName("serviceradar");
        builder.AddCommonName(commonName);
        return builder.Build();
    }

    internal static BigInteger SerialNumber(string hex) => BigInteger.Parse("0" + hex, System.Globalization.NumberStyles.HexNumber, System.Globalization.CultureInfo.InvariantCulture);
}
