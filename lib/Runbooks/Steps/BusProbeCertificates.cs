using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using RunbookHost.Nats;
using RunbookHost.Pki;
using RunbookHost.Tenants;

namespace RunbookHost.Runbooks.Steps;

/// <summary>
/// Certificates that must NOT connect, made in memory for a verification and never stored, recorded or returned:
/// one signed by the tenant's own CA for another tenant's name (the name constraint must refuse it), and one of a
/// look-alike CA (same subject as the tenant's, not in the bundle: a retired or forged CA must be refused).
/// </summary>
internal static class BusProbeCertificates
{
    private static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(10);

    /// <summary>The tenant CA signs <paramref name="foreignName"/>, bypassing the PKI's own refusal, as an attacker holding the key would.</summary>
    public static async Task<NatsClientIdentity> SignedForAnotherTenantAsync(PkiService pki, TenantId tenant, string foreignName, TimeProvider clock, CancellationToken cancellationToken)
    {
        using var ca = await pki.LoadActiveTenantCaAsync(tenant, cancellationToken).ConfigureAwait(false);
        return Leaf(foreignName, ca.Certificate, ca.Key, clock);
    }

    /// <summary>A CA with the tenant CA's subject but a key of its own (so in no bundle), and a leaf for the tenant's probe identity.</summary>
    public static async Task<NatsClientIdentity> FromUntrustedLookAlikeCaAsync(PkiService pki, TenantId tenant, string ownName, TimeProvider clock, CancellationToken cancellationToken)
    {
        using var real = await pki.TenantCaCertificateAsync(tenant, cancellationToken).ConfigureAwait(false)
            ?? throw new PkiException($"tenant {tenant} has no active CA: run provision");
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(real.SubjectName, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        var now = clock.GetUtcNow();
        using var lookAlike = request.CreateSelfSigned(now.AddMinutes(-1), now.Add(Lifetime));
        return Leaf(ownName, lookAlike, key, clock);
    }

    private static byte[] PositiveSerial()
    {
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7F; // a negative serial is refused by some verifiers
        serial[0] |= 0x01;
        return serial;
    }

    private static NatsClientIdentity Leaf(string dnsName, X509Certificate2 issuer, ECDsa issuerKey, TimeProvider clock)
    {
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={dnsName}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.2")], false));
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName(dnsName);
        request.CertificateExtensions.Add(san.Build());
        var now = clock.GetUtcNow();
        var notAfter = now.Add(Lifetime) < issuer.NotAfter ? now.Add(Lifetime) : new DateTimeOffset(issuer.NotAfter);
        using var signed = request.Create(issuer.SubjectName, X509SignatureGenerator.CreateForECDsa(issuerKey), now.AddMinutes(-1), notAfter, PositiveSerial());
        var issuerCopy = X509CertificateLoader.LoadCertificate(issuer.RawData);
        return new NatsClientIdentity(signed.CopyWithPrivateKey(key), [issuerCopy]);
    }
}
