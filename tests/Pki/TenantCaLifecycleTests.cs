using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using RunbookHost.Keys.KeyRing;
using RunbookHost.Pki;
using RunbookHost.Registry;

namespace RunbookHost.Tests.Pki;

/// <summary>
/// A tenant CA's life: its name constraint enforced by chain building (.NET's X509Chain, and openssl outside the
/// product), rotation with overlap, revocation with a CRL openssl verifies, and the tenant's age-key rotation carrying
/// the CA key along.
/// </summary>
public sealed class TenantCaLifecycleTests : IAsyncLifetime
{
    private readonly PkiTestEnvironment env = new();

    public Task InitializeAsync() => env.InitializeAsync();

    public Task DisposeAsync() => env.DisposeAsync();

    [Fact]
    public async Task ACertificateTheTenantCaSignsForAnotherTenantsNameOrAnAddressFailsChainBuilding()
    {
        var a = await env.NewTenantAsync();
        var b = await env.NewTenantAsync();
        await env.Service.EnsureTenantCaAsync(a, CancellationToken.None);
        await env.Service.EnsureTenantCaAsync(b, CancellationToken.None);
        using var root = await env.Service.RootCertificateAsync(CancellationToken.None);
        using var caA = await env.Service.LoadActiveTenantCaAsync(a, CancellationToken.None);
        var now = DateTimeOffset.UtcNow;

        // Signed directly with A's CA key, bypassing the product's issuing path and its identity validation.
        using var key = CertificateProfiles.NewP256();
        using var own = CertificateProfiles.CreateLeaf([$"agent.default.{a}.serviceradar"], [], true, false, key, caA.Certificate, caA.Key, now, 1, a);
        using var forB = CertificateProfiles.CreateLeaf([$"agent.default.{b}.serviceradar"], [], true, false, key, caA.Certificate, caA.Key, now, 1);
        using var bare = CertificateProfiles.CreateLeaf([$"{b}.serviceradar"], [], true, false, key, caA.Certificate, caA.Key, now, 1);
        using var withAddress = CertificateProfiles.CreateLeaf([$"agent.default.{a}.serviceradar"], [IPAddress.Loopback], true, false, key, caA.Certificate, caA.Key, now, 1);

        Assert.True(PkiChain.Validate(own, [caA.Certificate], root, now).Valid);
        foreach (var refused in new[] { forB, bare, withAddress })
        {
            var result = PkiChain.Validate(refused, [caA.Certificate], root, now);
            Assert.False(result.Valid);
            Assert.Contains("NameConstraint", result.Status, StringComparison.Ordinal);
        }

        // Outside the product: openssl verify refuses it too, for the same reason.
        var rootFile = env.WriteTemp("root.pem", PemEncoding.WriteString("CERTIFICATE", root.RawData));
        var caFile = env.WriteTemp("ca.pem", PemEncoding.WriteString("CERTIFICATE", caA.Certificate.RawData));
        var ownFile = env.WriteTemp("own.pem", PemEncoding.WriteString("CERTIFICATE", own.RawData));
        var forBFile = env.WriteTemp("forb.pem", PemEncoding.WriteString("CERTIFICATE", forB.RawData));
        var ok = await PkiTestEnvironment.Tool("/usr/bin/openssl", "verify", "-CAfile", rootFile, "-untrusted", caFile, ownFile);
        Assert.True(ok.ExitCode == 0, Encoding.UTF8.GetString(ok.Output) + ok.Error);
        var refusedByOpenssl = await PkiTestEnvironment.Tool("/usr/bin/openssl", "verify", "-CAfile", rootFile, "-untrusted", caFile, forBFile);
        Assert.NotEqual(0, refusedByOpenssl.ExitCode);
        Assert.Contains("permitted subtree violation", Encoding.UTF8.GetString(refusedByOpenssl.Output) + refusedByOpenssl.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ATenantCaCannotCertifyAnEmailAUriOrAnotherTenantsSubjectAndItsComponentsCarryTheTenantInTheirSubject()
    {
        var a = await env.NewTenantAsync();
        var b = await env.NewTenantAsync();
        await env.Service.EnsureTenantCaAsync(a, CancellationToken.None);
        using var root = await env.Service.RootCertificateAsync(CancellationToken.None);
        using var caA = await env.Service.LoadActiveTenantCaAsync(a, CancellationToken.None);
        var now = DateTimeOffset.UtcNow;
        var own = $"agent.default.{a}.serviceradar";
        var foreign = $"agent.default.{b}.serviceradar";

        // The product's own component certificate: subject O=serviceradar, OU=<tenant>, CN=<identity>.
        using var issued = await env.Service.IssueComponentCertificateAsync(a, "agent", "default", false, null, CancellationToken.None);
        Assert.Equal($"CN={own}, OU={a}, O=serviceradar", issued.Certificate.Subject);

        // Signed directly with A's CA key, as a thief of that key would: each names tenant B in a form nats verify_and_map reads.
        using var key = CertificateProfiles.NewP256();
        var hostile = new Dictionary<string, X509Certificate2>
        {
            ["email"] = CertificateProfiles.CreateLeaf([own], [], true, false, key, caA.Certificate, caA.Key, now, 1, a, san => san.AddEmailAddress($"agent@{foreign}")),
            ["uri"] = CertificateProfiles.CreateLeaf([own], [], true, false, key, caA.Certificate, caA.Key, now, 1, a, san => san.AddUri(new Uri($"nats://{foreign}"))),
            ["urn"] = CertificateProfiles.CreateLeaf([own], [], true, false, key, caA.Certificate, caA.Key, now, 1, a, san => san.AddUri(new Uri($"urn:serviceradar:{b}"))),
            ["subject"] = CertificateProfiles.CreateLeaf([own], [], true, false, key, caA.Certificate, caA.Key, now, 1, b),
            ["bare-subject"] = CertificateProfiles.CreateLeaf([own], [], true, false, key, caA.Certificate, caA.Key, now, 1),
        };
        var rootFile = env.WriteTemp("root-3.pem", PemEncoding.WriteString("CERTIFICATE", root.RawData));
        var caFile = env.WriteTemp("ca-3.pem", PemEncoding.WriteString("CERTIFICATE", caA.Certificate.RawData));
        var issuedFile = env.WriteTemp("issued-3.pem", PemEncoding.WriteString("CERTIFICATE", issued.Certificate.RawData));
        var accepted = await PkiTestEnvironment.Tool("/usr/bin/openssl", "verify", "-CAfile", rootFile, "-untrusted", caFile, issuedFile);
        Assert.True(accepted.ExitCode == 0, Encoding.UTF8.GetString(accepted.Output) + accepted.Error);
        foreach (var (name, leaf) in hostile)
        {
            using (leaf)
            {
                var chain = PkiChain.Validate(leaf, [caA.Certificate], root, now);
                Assert.False(chain.Valid, name);
                Assert.Contains("NameConstraint", chain.Status, StringComparison.Ordinal);
                // Outside the product: openssl refuses it for the name constraint too.
                var file = env.WriteTemp($"hostile-{name}.pem", PemEncoding.WriteString("CERTIFICATE", leaf.RawData));
                var refused = await PkiTestEnvironment.Tool("/usr/bin/openssl", "verify", "-CAfile", rootFile, "-untrusted", caFile, file);
                var said = Encoding.UTF8.GetString(refused.Output) + refused.Error;
                Assert.True(refused.ExitCode != 0, $"{name}: {said}");
                // A URI without a host (urn:) cannot be matched against a URI constraint: openssl refuses it as unsupported syntax.
                Assert.True(System.Text.RegularExpressions.Regex.IsMatch(said, "(permitted|excluded) subtree violation|unsupported or invalid name syntax"), $"{name}: {said}");
            }
        }
    }

    [Fact]
    public async Task ARetiringCaLeavesTheClientCaBundleWhenItsOverlapEnds()
    {
        var tenant = await env.NewTenantAsync();
        var first = await env.Service.EnsureTenantCaAsync(tenant, CancellationToken.None);
        await env.Service.RotateTenantCaAsync(tenant, CancellationToken.None);
        var inOverlap = (await env.Service.TrustedClientAuthoritiesAsync(CancellationToken.None)).Select(CertificateProfiles.SerialOf).ToList();
        Assert.Contains(first.Active.Serial, inOverlap);

        // The same registry and files, seen when the overlap has ended (overlap 0 days): the retiring CA is no longer trusted.
        var ended = new PkiService(env.Files, new PkiSettings { OverlapDays = 0 }, env.Ring, env.Registry, TimeProvider.System);
        var afterOverlap = (await ended.TrustedClientAuthoritiesAsync(CancellationToken.None)).Select(CertificateProfiles.SerialOf).ToList();
        Assert.DoesNotContain(first.Active.Serial, afterOverlap);
        Assert.Contains((await env.Registry.GetActiveTenantCaAsync(tenant))!.Serial, afterOverlap);
    }

    [Fact]
    public async Task ACrlIsNeverReplacedByOneWithALowerNumberEvenWhenTheClockGoesBack()
    {
        await env.Service.InitializeAsync(CancellationToken.None);
        using var root = await env.Service.RootCertificateAsync(CancellationToken.None);
        var first = CrlContents.Read(await env.Service.PublishCrlAsync(CancellationToken.None), root);
        var lagging = new PkiService(env.Files, env.Settings, env.Ring, env.Registry, new ClockAt(DateTimeOffset.UtcNow.AddHours(-1)));
        var second = CrlContents.Read(await lagging.PublishCrlAsync(CancellationToken.None), root);
        Assert.True(second.Number > first.Number, $"{second.Number} after {first.Number}");
        Assert.Equal(second.Number, env.Service.PublishedCrlNumber(root));
    }

    [Fact]
    public async Task ACrlPastItsNextUpdateIsNotCurrentSoTheCrlChecksFail()
    {
        await env.Service.InitializeAsync(CancellationToken.None);
        using var root = await env.Service.RootCertificateAsync(CancellationToken.None);
        var stale = new PkiService(env.Files, env.Settings, env.Ring, env.Registry, new ClockAt(DateTimeOffset.UtcNow.AddDays(-8)));
        var old = CrlContents.Read(await stale.PublishCrlAsync(CancellationToken.None), root);
        Assert.True(old.SignatureValid);
        Assert.False(old.IsCurrent(DateTimeOffset.UtcNow));
        var fresh = CrlContents.Read(await env.Service.PublishCrlAsync(CancellationToken.None), root);
        Assert.True(fresh.IsCurrent(DateTimeOffset.UtcNow));
    }

    private sealed class ClockAt(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }

    [Fact]
    public async Task RotationKeepsTheOldCaTrustedDuringTheOverlapAndRevocationPublishesACrlOpensslVerifies()
    {
        var tenant = await env.NewTenantAsync();
        var first = await env.Service.EnsureTenantCaAsync(tenant, CancellationToken.None);
        using var oldCert = await env.Service.IssueComponentCertificateAsync(tenant, "agent", "default", false, null, CancellationToken.None);

        var rotated = await env.Service.RotateTenantCaAsync(tenant, CancellationToken.None);
        Assert.True(rotated.Created);
        Assert.Equal(first.Active.Serial, rotated.PreviousSerial);
        var cas = await env.Registry.GetTenantCasAsync(tenant);
        Assert.Equal(TenantCaStatus.Active, cas.Single(c => c.Serial == rotated.Active.Serial).Status);
        Assert.Equal(TenantCaStatus.Retiring, cas.Single(c => c.Serial == first.Active.Serial).Status);

        // Both are in the client-CA bundle during the overlap; new certificates come from the new CA.
        var trusted = (await env.Service.TrustedClientAuthoritiesAsync(CancellationToken.None)).Select(CertificateProfiles.SerialOf).ToList();
        Assert.Contains(first.Active.Serial, trusted);
        Assert.Contains(rotated.Active.Serial, trusted);
        using var newCert = await env.Service.IssueComponentCertificateAsync(tenant, "agent", "default", false, null, CancellationToken.None);
        Assert.Equal(rotated.Active.Serial, CertificateProfiles.SerialOf(newCert.Chain[0]));
        Assert.Empty(await env.Service.RetiringPastOverlapAsync(tenant, TimeSpan.FromDays(env.Settings.OverlapDays), CancellationToken.None));
        Assert.Single(await env.Service.RetiringPastOverlapAsync(tenant, TimeSpan.Zero, CancellationToken.None));

        // Emergency: the old CA is revoked now, leaves the bundle, and the root's CRL lists it.
        var revoked = await env.Service.RevokeTenantCasAsync(tenant, RevocationReasons.Emergency, first.Active.Serial, CancellationToken.None);
        Assert.Equal([first.Active.Serial], revoked);
        trusted = (await env.Service.TrustedClientAuthoritiesAsync(CancellationToken.None)).Select(CertificateProfiles.SerialOf).ToList();
        Assert.DoesNotContain(first.Active.Serial, trusted);
        Assert.Contains(rotated.Active.Serial, trusted);
        using var root = await env.Service.RootCertificateAsync(CancellationToken.None);
        var crl = CrlContents.ReadPem(File.ReadAllText(env.Files.RootCrl), root);
        Assert.True(crl.SignatureValid);
        Assert.Equal([first.Active.Serial], crl.RevokedSerials);

        // Outside the product: openssl verifies the CRL's signature with the root and reads the reason.
        var rootFile = env.WriteTemp("root.pem", PemEncoding.WriteString("CERTIFICATE", root.RawData));
        var (exit, output, error) = await PkiTestEnvironment.Tool("/usr/bin/openssl", "crl", "-in", env.Files.RootCrl, "-CAfile", rootFile, "-noout", "-text");
        var text = Encoding.UTF8.GetString(output) + error;
        Assert.True(exit == 0, text);
        Assert.Contains("verify OK", text, StringComparison.Ordinal);
        Assert.Contains(first.Active.Serial.ToUpperInvariant(), text, StringComparison.Ordinal);
        Assert.Contains("CA Compromise", text, StringComparison.Ordinal);

        // And a relying party that checks the root's CRL refuses the revoked CA; the new CA still verifies.
        var oldCa = env.WriteTemp("old-ca.pem", PemEncoding.WriteString("CERTIFICATE", oldCert.Chain[0].RawData));
        var newCa = env.WriteTemp("new-ca.pem", PemEncoding.WriteString("CERTIFICATE", newCert.Chain[0].RawData));
        var check = await PkiTestEnvironment.Tool("/usr/bin/openssl", "verify", "-crl_check", "-CAfile", rootFile, "-CRLfile", env.Files.RootCrl, oldCa);
        Assert.Contains("certificate revoked", Encoding.UTF8.GetString(check.Output) + check.Error, StringComparison.Ordinal);
        var stillGood = await PkiTestEnvironment.Tool("/usr/bin/openssl", "verify", "-crl_check", "-CAfile", rootFile, "-CRLfile", env.Files.RootCrl, newCa);
        Assert.True(stillGood.ExitCode == 0, Encoding.UTF8.GetString(stillGood.Output) + stillGood.Error);
    }

    [Fact]
    public async Task RotatingTheTenantsAgeKeyCarriesTheCaKeyAlongAndDeprovisionRevokesEveryCa()
    {
        var tenant = await env.NewTenantAsync();
        var ca = await env.Service.EnsureTenantCaAsync(tenant, CancellationToken.None);
        var oldKeyCopy = env.WriteTemp("old-key.age", File.ReadAllText(env.Ring.Files(tenant).Key));

        var rotation = env.Ring.Rotation(tenant, KeyRotation.Emergency);
        foreach (var step in new Func<RunbookHost.Runbooks.IRunbookOperation>[]
                 { rotation.Begin, rotation.GenerateNewKey, rotation.CheckCurrentKeyDecrypts, rotation.RotateDataKey, rotation.VerifyNewKeyDecrypts,
                   rotation.ArchiveOldKey, rotation.PromoteNewKey, rotation.Complete })
            await step().ApplyAsync(CancellationToken.None);

        // The CA key was re-encrypted with the secrets (kept, even by an emergency): the CA still signs; the old age key opens nothing.
        using var issued = await env.Service.IssueComponentCertificateAsync(tenant, "agent", "default", false, null, CancellationToken.None);
        Assert.Equal(ca.Active.Serial, CertificateProfiles.SerialOf(issued.Chain[0]));
        var secretsFile = File.ReadAllBytes(env.Ring.Files(tenant).Secrets);
        Assert.False(KeyFile.Opens(oldKeyCopy, secretsFile));
        Assert.Contains("key.age", env.Ring.KeysThatDecryptSecrets(tenant));

        await env.Service.RotateTenantCaAsync(tenant, CancellationToken.None);
        var revoked = await env.Service.RevokeTenantCasAsync(tenant, RevocationReasons.Deprovisioned, null, CancellationToken.None);
        Assert.Equal(2, revoked.Count);
        Assert.All(await env.Registry.GetTenantCasAsync(tenant), c => Assert.Equal(TenantCaStatus.Revoked, c.Status));
        Assert.Empty(await env.Service.RevokeTenantCasAsync(tenant, RevocationReasons.Deprovisioned, null, CancellationToken.None));
        using var root = await env.Service.RootCertificateAsync(CancellationToken.None);
        Assert.Equal(revoked.Order(), CrlContents.ReadPem(File.ReadAllText(env.Files.RootCrl), root).RevokedSerials.Order());
        await Assert.ThrowsAsync<PkiException>(() => env.Service.IssueComponentCertificateAsync(tenant, "agent", "default", false, null, CancellationToken.None));
    }

    [Fact]
    public async Task AProvisionThatStoppedAfterWritingTheKeyIsCompletedNotDuplicated()
    {
        var tenant = await env.NewTenantAsync();
        var first = await env.Service.EnsureTenantCaAsync(tenant, CancellationToken.None);
        // Simulate the crash window: the key and certificate are written, the registry never recorded the CA.
        await using (var conn = new Npgsql.NpgsqlConnection(new Npgsql.NpgsqlConnectionStringBuilder(Support.TestServers.PostgresAdmin) { Database = env.Registry.Database }.ConnectionString))
        {
            await conn.OpenAsync();
            await using var delete = new Npgsql.NpgsqlCommand("DELETE FROM tenant_cas WHERE serial = $1", conn);
            delete.Parameters.AddWithValue(first.Active.Serial);
            await delete.ExecuteNonQueryAsync();
        }
        var resumed = await env.Service.EnsureTenantCaAsync(tenant, CancellationToken.None);
        Assert.True(resumed.Resumed);
        Assert.Equal(first.Active.Serial, resumed.Active.Serial);
        Assert.Single(await env.Registry.GetTenantCasAsync(tenant));
    }
}
