using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using RunbookHost.Pki;
using RunbookHost.Registry;

namespace RunbookHost.Tests.Pki;

/// <summary>
/// The certificate profiles, decoded and asserted extension by extension, on a real registry with the real age CLI:
/// the root (P-384, pathLen 1, key only age-encrypted), a tenant CA (P-256, pathLen 0, the tenant's name constraint, key
/// in the tenant's encrypted secrets), component, server and platform-admin certificates.
/// </summary>
public sealed class CertificateProfileTests : IAsyncLifetime
{
    private readonly PkiTestEnvironment env = new();

    public Task InitializeAsync() => env.InitializeAsync();

    public Task DisposeAsync() => env.DisposeAsync();

    [Fact]
    public async Task TheRootIsAP384CaWithPathLengthOneAndItsKeyExistsOnlyAgeEncrypted()
    {
        var created = await env.Service.InitializeAsync(CancellationToken.None);
        Assert.Contains(env.Files.Relative(env.Files.RootKey), created);
        using var root = await env.Service.RootCertificateAsync(CancellationToken.None);

        using (var key = root.GetECDsaPublicKey()!)
            Assert.Equal("1.3.132.0.34", key.ExportParameters(false).Curve.Oid.Value); // nistP384
        var basic = root.Extensions.OfType<X509BasicConstraintsExtension>().Single();
        Assert.True(basic is { Critical: true, CertificateAuthority: true, HasPathLengthConstraint: true, PathLengthConstraint: 1 });
        var usage = root.Extensions.OfType<X509KeyUsageExtension>().Single();
        Assert.Equal(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, usage.KeyUsages);
        Assert.Equal(root.Subject, root.Issuer);

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, Keys.KeyRing.KeyRingTestEnvironment.Mode(env.Files.PlatformKey));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, Keys.KeyRing.KeyRingTestEnvironment.Mode(env.Files.RootKey));
        // No file under the secrets folder holds a plain private key.
        foreach (var file in Directory.EnumerateFiles(env.SecretsRoot, "*", SearchOption.AllDirectories))
            Assert.DoesNotContain("PRIVATE KEY", File.ReadAllText(file), StringComparison.Ordinal);

        // Outside the product: the real age CLI decrypts the root key with the platform key, and it is the root's key.
        var (exit, der, error) = await PkiTestEnvironment.Tool("/usr/bin/age", "-d", "-i", env.Files.PlatformKey, env.Files.RootKey);
        Assert.True(exit == 0, error);
        using var decrypted = ECDsa.Create();
        decrypted.ImportPkcs8PrivateKey(der, out _);
        using var rootPublic = root.GetECDsaPublicKey()!;
        Assert.Equal(rootPublic.ExportSubjectPublicKeyInfo(), decrypted.ExportSubjectPublicKeyInfo());

        // Created once: a second init changes nothing.
        Assert.Empty(await env.Service.InitializeAsync(CancellationToken.None));
        using var again = await env.Service.RootCertificateAsync(CancellationToken.None);
        Assert.Equal(root.Thumbprint, again.Thumbprint);
    }

    [Fact]
    public async Task ATenantCaIsPathLengthZeroConstrainedToItsTenantAndItsKeyIsInTheTenantsEncryptedSecrets()
    {
        var tenant = await env.NewTenantAsync();
        var outcome = await env.Service.EnsureTenantCaAsync(tenant, CancellationToken.None);
        Assert.True(outcome.Created);
        using var ca = (await env.Service.TenantCaCertificateAsync(tenant, CancellationToken.None))!;
        using var root = await env.Service.RootCertificateAsync(CancellationToken.None);

        using (var key = ca.GetECDsaPublicKey()!)
            Assert.Equal("1.2.840.10045.3.1.7", key.ExportParameters(false).Curve.Oid.Value); // nistP256
        var basic = ca.Extensions.OfType<X509BasicConstraintsExtension>().Single();
        Assert.True(basic is { Critical: true, CertificateAuthority: true, HasPathLengthConstraint: true, PathLengthConstraint: 0 });
        var usage = ca.Extensions.OfType<X509KeyUsageExtension>().Single();
        Assert.True(usage.Critical);
        Assert.Equal(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, usage.KeyUsages);
        var constraint = ca.Extensions[NameConstraints.Oid]!;
        // Not critical: Go's x509 (nats-server) refuses a critical constraint holding a directory name (docs/pki.md).
        Assert.False(constraint.Critical);
        var decoded = NameConstraints.TryDecode(constraint)!;
        Assert.Equal([$".{tenant}.serviceradar"], decoded.PermittedDns);
        Assert.Equal(["0.0.0.0/0", "::/0"], decoded.ExcludedIpRanges);
        Assert.Equal([$"Dns \".{tenant}.serviceradar\"", $"DirectoryName \"OU={tenant}, O=serviceradar\"", "Email \"invalid\"", "Uri \"invalid\""],
            decoded.Permitted.Select(s => s.ToString()));
        Assert.Equal(["Email \"\"", "Uri \"\""], decoded.Excluded.Where(s => s.Form is NameForm.Email or NameForm.Uri).Select(s => s.ToString()));
        var aki = ca.Extensions.OfType<X509AuthorityKeyIdentifierExtension>().Single();
        Assert.Equal(root.Extensions.OfType<X509SubjectKeyIdentifierExtension>().Single().SubjectKeyIdentifierBytes.ToArray(), aki.KeyIdentifier!.Value.ToArray());
        Assert.Equal(root.Subject, ca.Issuer);
        Assert.True(PkiChain.Validate(ca, [], root, DateTimeOffset.UtcNow).Valid);

        // Outside the product: openssl sees the same profile.
        var (_, text, _) = await PkiTestEnvironment.Tool("/usr/bin/openssl", "x509", "-noout", "-text", "-in", env.Files.TenantCaCertificate(tenant, outcome.Active.Serial));
        var openssl = Encoding.UTF8.GetString(text);
        Assert.Contains("CA:TRUE, pathlen:0", openssl, StringComparison.Ordinal);
        Assert.Contains($"DNS:.{tenant}.serviceradar", openssl, StringComparison.Ordinal);
        Assert.Contains("X509v3 Name Constraints: \n", openssl, StringComparison.Ordinal);
        Assert.Contains($"DirName:O = serviceradar, OU = {tenant}", openssl, StringComparison.Ordinal);

        // The registry records it; the file is the one it recorded.
        var record = Assert.Single(await env.Registry.GetTenantCasAsync(tenant));
        Assert.Equal((TenantCaStatus.Active, CertificateProfiles.FingerprintOf(ca), CertificateProfiles.SerialOf(ca)), (record.Status, record.Fingerprint, record.Serial));

        // The key is a value of the tenant's secrets file, which is encrypted: the file on disk does not contain it.
        var secrets = env.Ring.LoadSecrets(tenant);
        var keyValue = secrets.Values.Single(v => v.Key == PkiService.TenantCaKeyName).Value;
        Assert.DoesNotContain(keyValue, File.ReadAllText(env.Ring.Files(tenant).Secrets), StringComparison.Ordinal);
        using var caKey = ECDsa.Create();
        caKey.ImportPkcs8PrivateKey(Convert.FromBase64String(keyValue), out _);
        using var caPublic = ca.GetECDsaPublicKey()!;
        Assert.Equal(caPublic.ExportSubjectPublicKeyInfo(), caKey.ExportSubjectPublicKeyInfo());

        // Idempotent: a second provision keeps the CA.
        var again = await env.Service.EnsureTenantCaAsync(tenant, CancellationToken.None);
        Assert.False(again.Created);
        Assert.Equal(outcome.Active.Serial, again.Active.Serial);
    }

    [Fact]
    public async Task AComponentCertificateNamesItsIdentityHasTheRightUsagesAShortLifetimeAndIsRecorded()
    {
        var tenant = await env.NewTenantAsync();
        await env.Service.EnsureTenantCaAsync(tenant, CancellationToken.None);
        using var client = await env.Service.IssueComponentCertificateAsync(tenant, "agent", "default", serves: false, null, CancellationToken.None);
        using var server = await env.Service.IssueComponentCertificateAsync(tenant, "poller", "edge-1", serves: true, TimeSpan.FromDays(2), CancellationToken.None);

        var name = $"agent.default.{tenant}.serviceradar";
        Assert.True(client.Certificate.HasPrivateKey);
        Assert.Equal(name, client.Certificate.GetNameInfo(X509NameType.SimpleName, false));
        Assert.Equal([name], client.Certificate.Extensions.OfType<X509SubjectAlternativeNameExtension>().Single().EnumerateDnsNames());
        Assert.Empty(client.Certificate.Extensions.OfType<X509SubjectAlternativeNameExtension>().Single().EnumerateIPAddresses());
        Assert.Equal(["1.3.6.1.5.5.7.3.2"], Usages(client.Certificate));
        Assert.Equal(["1.3.6.1.5.5.7.3.2", "1.3.6.1.5.5.7.3.1"], Usages(server.Certificate));
        Assert.True(client.Certificate.Extensions.OfType<X509BasicConstraintsExtension>().Single() is { CertificateAuthority: false, Critical: true });
        Assert.Equal(X509KeyUsageFlags.DigitalSignature, client.Certificate.Extensions.OfType<X509KeyUsageExtension>().Single().KeyUsages);

        var lifetime = client.Certificate.NotAfter - client.Certificate.NotBefore;
        Assert.InRange(lifetime, TimeSpan.FromDays(30), TimeSpan.FromDays(30) + CertificateProfiles.ClockSkew);
        Assert.InRange(server.Certificate.NotAfter - server.Certificate.NotBefore, TimeSpan.FromDays(2), TimeSpan.FromDays(2) + CertificateProfiles.ClockSkew);

        var issuer = Assert.Single(client.Chain);
        Assert.Equal(CertificateProfiles.TenantCaName(tenant).Name, issuer.Subject);
        using var root = await env.Service.RootCertificateAsync(CancellationToken.None);
        Assert.True(PkiChain.Validate(client.Certificate, client.Chain, root, DateTimeOffset.UtcNow).Valid);

        var recorded = await env.Registry.ListIssuedCertificatesAsync(tenant);
        Assert.Equal(2, recorded.Count);
        var record = recorded.Single(r => r.Serial == client.Serial);
        Assert.Equal((name, PkiService.KindComponent, CertificateProfiles.SerialOf(issuer)), (record.Identity, record.Kind, record.CaSerial));

        await Assert.ThrowsAsync<InvalidComponentIdentityException>(() =>
            env.Service.IssueComponentCertificateAsync(tenant, "agent.other", "default", false, null, CancellationToken.None));
    }

    [Fact]
    public async Task TheServerAndPlatformAdminCertificatesFollowTheContract()
    {
        await env.Service.InitializeAsync(CancellationToken.None);
        using var root = await env.Service.RootCertificateAsync(CancellationToken.None);
        using var server = await env.Service.IssueServerCertificateAsync(["nats.platform.serviceradar", "localhost"], [IPAddress.Loopback], CancellationToken.None);
        Assert.Empty(server.Chain);
        Assert.Equal(root.Subject, server.Certificate.Issuer);
        var san = server.Certificate.Extensions.OfType<X509SubjectAlternativeNameExtension>().Single();
        Assert.Equal(["nats.platform.serviceradar", "localhost"], san.EnumerateDnsNames());
        Assert.Equal([IPAddress.Loopback], san.EnumerateIPAddresses());
        Assert.Contains("1.3.6.1.5.5.7.3.1", Usages(server.Certificate));
        Assert.True(PkiChain.Validate(server.Certificate, [], root, DateTimeOffset.UtcNow).Valid);

        using var admin = await env.Service.IssuePlatformAdminCertificateAsync(CancellationToken.None);
        Assert.Equal(ComponentIdentity.PlatformAdmin, admin.Certificate.GetNameInfo(X509NameType.SimpleName, false));
        Assert.Equal(["1.3.6.1.5.5.7.3.2"], Usages(admin.Certificate));
        var adminCa = Assert.Single(admin.Chain);
        Assert.Equal([ComponentIdentity.PlatformAdmin], NameConstraints.TryDecode(adminCa.Extensions[NameConstraints.Oid]!)!.PermittedDns);
        Assert.True(PkiChain.Validate(admin.Certificate, admin.Chain, root, DateTimeOffset.UtcNow).Valid);
        // Exactly that name: a DNS base also covers subdomains, so the admin CA excludes them (and e-mail, URI, IP).
        using (var adminKey = env.Service.Platform.AdminCaKey())
        using (var leafKey = CertificateProfiles.NewP256())
        using (var sub = CertificateProfiles.CreateLeaf(["x." + ComponentIdentity.PlatformAdmin], [], true, false, leafKey, adminCa, adminKey, DateTimeOffset.UtcNow, 1))
        {
            var refused = PkiChain.Validate(sub, admin.Chain, root, DateTimeOffset.UtcNow);
            Assert.False(refused.Valid);
            Assert.True(refused.Status.Contains("NameConstraint", StringComparison.Ordinal), refused.Status);
        }
        Assert.False(ComponentIdentity.TryParse(ComponentIdentity.PlatformAdmin, out _, out _));

        // The client-CA bundle: the admin CA, and never the root.
        var trusted = await env.Service.TrustedClientAuthoritiesAsync(CancellationToken.None);
        Assert.Contains(trusted, c => c.Thumbprint == adminCa.Thumbprint);
        Assert.DoesNotContain(trusted, c => c.Thumbprint == root.Thumbprint);
    }

    private static string[] Usages(X509Certificate2 certificate) =>
        certificate.Extensions.OfType<X509EnhancedKeyUsageExtension>().Single().EnhancedKeyUsages.Cast<Oid>().Select(o => o.Value!).ToArray();
}
