using System.Text;
using System.Text.Json.Nodes;
using RunbookHost.Registry;
using RunbookHost.Tests.Host;
using RunbookHost.Tests.Runbooks;
using RunbookHost.Tests.Support;

namespace RunbookHost.Tests.Pki;

/// <summary>
/// The product's runbooks through the real host process, real PostgreSQL registry and real age: provision gives each
/// tenant its CA, verify proves it (chain, profile, the name constraint refusing another tenant's name), and
/// deprovision revokes it and publishes a CRL that lists it.
/// </summary>
public sealed class PkiRunbookTests(StorageEnvironment stores) : IClassFixture<StorageEnvironment>
{
    [Fact]
    public async Task ProvisionGivesEachTenantItsCaVerifyProvesItAndDeprovisionRevokesIt()
    {
        using var host = stores.NewHost(allStores: false);
        var registry = new TenantRegistry(TestServers.PostgresAdmin, stores.RegistryDatabase);
        var a = TestServers.NewTenantId();
        var b = TestServers.NewTenantId();

        var provisionA = await Run(host, "provision", a.Value);
        await Run(host, "provision", b.Value);
        var pkiChecks = StorageEnvironment.Checks(provisionA).Where(c => c.Store == "pki").ToList();
        Assert.All(pkiChecks, c => Assert.True(c.Pass, $"{c.Test}: {c.Result}"));

        var verify = StorageEnvironment.Checks(await Run(host, "verify", a.Value)).Where(c => c.Store == "pki").ToList();
        foreach (var test in new[] { "root_key_encrypted", "tenant_ca_registered", "tenant_ca_files_match_registry", "tenant_ca_chains_to_root",
                     "tenant_ca_path_length_zero", "tenant_ca_name_constraint", "tenant_ca_key_usage", "tenant_ca_validity", "name_constraint_own_name_accepted" })
            Assert.Contains(verify, c => c.Test == test && c.Pass && c.Result == "PASS");
        Assert.Contains(verify, c => c.Test == "name_constraint_cross_tenant_refused" && c.Pass && c.Result == "DENIED");

        var caA = Assert.Single(await registry.GetTenantCasAsync(a));
        Assert.Equal(TenantCaStatus.Active, caA.Status);
        Assert.True(File.Exists(Path.Combine(host.SecretsDir, "tenants", a.Value, "pki", $"ca-{caA.Serial}.pem")));
        Assert.True(File.Exists(Path.Combine(host.SecretsDir, "platform", "pki", "root-ca.key.age")));

        var deprovision = StorageEnvironment.Checks(await Run(host, "deprovision", a.Value)).Where(c => c.Store == "pki").ToList();
        Assert.Contains(deprovision, c => c.Test == "tenant_ca_revoked" && c.Pass);
        Assert.Contains(deprovision, c => c.Test == "crl_lists_tenant_cas" && c.Pass);
        Assert.Equal(TenantCaStatus.Revoked, Assert.Single(await registry.GetTenantCasAsync(a)).Status);
        Assert.Equal(TenantCaStatus.Active, Assert.Single(await registry.GetTenantCasAsync(b)).Status);

        await Run(host, "deprovision", b.Value);
    }

    [Fact]
    public async Task OnboardWritesAWorkingPackageRotationReissuesItAndRetiresOrRevokesTheOldCa()
    {
        using var host = stores.NewHost(allStores: false);
        host.Environment["RUNBOOKHOST_Nats__Url"] = "tls://127.0.0.1:4222";
        var registry = new TenantRegistry(TestServers.PostgresAdmin, stores.RegistryDatabase);
        var tenant = TestServers.NewTenantId();
        await Run(host, "provision", tenant.Value);

        var onboard = await Run(host, "onboard", tenant.Value, "component=agent", "partition=default", "pack=true");
        Assert.All(StorageEnvironment.Checks(onboard), c => Assert.True(c.Pass, $"{c.Test}: {c.Result}"));
        var package = Path.Combine(host.SecretsDir, "tenants", tenant.Value, "onboarding", "agent.default");
        Assert.Equal(["ca-chain.pem", "cert.pem", "client-ca.pem", "key.pem", "manifest.json", "nats.json"], Directory.GetFiles(package).Select(f => Path.GetFileName(f)).Order().ToArray());
        // A serving component trusts only its own tenant's CA for clients: client-ca.pem holds that one CA, not the root.
        var clientCas = new System.Security.Cryptography.X509Certificates.X509Certificate2Collection();
        clientCas.ImportFromPemFile(Path.Combine(package, "client-ca.pem"));
        var activeCa = (await registry.GetActiveTenantCaAsync(tenant))!;
        Assert.Equal([activeCa.Fingerprint], clientCas.Select(c => c.GetCertHashString(System.Security.Cryptography.HashAlgorithmName.SHA256).ToLowerInvariant()));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, Keys.KeyRing.KeyRingTestEnvironment.Mode(Path.Combine(package, "key.pem")));
        var nats = JsonNode.Parse(File.ReadAllText(Path.Combine(package, "nats.json")))!;
        Assert.Equal("client-ca.pem", nats["client_ca_file"]!.GetValue<string>());
        Assert.Equal(("tls://127.0.0.1:4222", $"{tenant}.", $"_INBOX_{tenant}"),
            (nats["url"]!.GetValue<string>(), nats["subject_prefix"]!.GetValue<string>(), nats["inbox_prefix"]!.GetValue<string>()));

        // The evidence names the certificate by serial and fingerprint; no key of the package is in it.
        var result = StorageEnvironment.Predicate(onboard)["result"]!;
        var serial = result["certificate_serial"]!.GetValue<string>();
        Assert.Equal($"agent.default.{tenant}.serviceradar", result["identity"]!.GetValue<string>());
        Assert.NotNull(await registry.GetIssuedCertificateAsync(serial));
        var keyBody = File.ReadAllLines(Path.Combine(package, "key.pem"))[1];
        Assert.DoesNotContain(keyBody, File.ReadAllText(onboard), StringComparison.Ordinal);
        Assert.DoesNotContain(keyBody, Encoding.UTF8.GetString(Convert.FromBase64String(JsonNode.Parse(File.ReadAllText(onboard))!["payload"]!.GetValue<string>())), StringComparison.Ordinal);

        // Outside the product: openssl verifies cert.pem with ca-chain.pem (the root trusted, the tenant CA untrusted), as a component would.
        await OpensslVerifies(package, expectOk: true);
        // The archive holds the same files, key.pem 0600.
        var (exit, listing, _) = await PkiTestEnvironment.Tool("/usr/bin/tar", "-tvzf", package + ".tar.gz");
        Assert.Equal(0, exit);
        Assert.Contains(Encoding.UTF8.GetString(listing).Split('\n'), line => line.StartsWith("-rw-------", StringComparison.Ordinal) && line.EndsWith("agent.default/key.pem", StringComparison.Ordinal));

        // Scheduled rotation: a new CA, the old one retiring, the package re-issued under the new one.
        var first = Assert.Single(await registry.GetTenantCasAsync(tenant));
        var rotate = await Run(host, "rotate-tenant-ca", tenant.Value);
        Assert.All(StorageEnvironment.Checks(rotate), c => Assert.True(c.Pass, $"{c.Test}: {c.Result}"));
        var cas = await registry.GetTenantCasAsync(tenant);
        Assert.Equal(TenantCaStatus.Retiring, cas.Single(c => c.Serial == first.Serial).Status);
        var second = cas.Single(c => c.Status == TenantCaStatus.Active);
        var reissued = Assert.Single(StorageEnvironment.Predicate(rotate)["result"]!["reissued_certificates"]!.AsArray())!.GetValue<string>();
        Assert.NotEqual(serial, reissued);
        Assert.Equal(second.Serial, (await registry.GetIssuedCertificateAsync(reissued))!.CaSerial);
        await OpensslVerifies(package, expectOk: true);

        // Within the overlap a re-run creates no CA and retires nothing; after it (overlap 0 days) it retires the old CA.
        await Run(host, "rotate-tenant-ca", tenant.Value);
        Assert.Equal(2, (await registry.GetTenantCasAsync(tenant)).Count);
        Assert.Equal(TenantCaStatus.Retiring, (await registry.GetTenantCasAsync(tenant)).Single(c => c.Serial == first.Serial).Status);
        await Run(host, "rotate-tenant-ca", tenant.Value, "overlap-days=0");
        var retired = (await registry.GetTenantCasAsync(tenant)).Single(c => c.Serial == first.Serial);
        Assert.Equal((TenantCaStatus.Revoked, "superseded"), (retired.Status, retired.Reason));

        // Emergency: a third CA, the second revoked at once, on the CRL; the package moves to the third.
        var emergency = await Run(host, "rotate-tenant-ca", tenant.Value, "reason=emergency");
        Assert.All(StorageEnvironment.Checks(emergency), c => Assert.True(c.Pass, $"{c.Test}: {c.Result}"));
        cas = await registry.GetTenantCasAsync(tenant);
        Assert.Equal(3, cas.Count);
        Assert.Equal((TenantCaStatus.Revoked, "emergency"), (cas.Single(c => c.Serial == second.Serial).Status, cas.Single(c => c.Serial == second.Serial).Reason));
        var crl = await PkiTestEnvironment.Tool("/usr/bin/openssl", "crl", "-in", Path.Combine(host.SecretsDir, "platform", "pki", "root-ca.crl.pem"), "-noout", "-text");
        Assert.Contains(second.Serial.ToUpperInvariant(), Encoding.UTF8.GetString(crl.Output), StringComparison.Ordinal);
        await OpensslVerifies(package, expectOk: true);

        // A hostile component name is refused (exit 2) and issues nothing.
        var issuedBefore = (await registry.ListIssuedCertificatesAsync(tenant)).Count;
        foreach (var bad in new[] { "component=Agent", "component=agent.x", "component=xn--agnt-5qa", "component=../agent", "component=" + new string('a', 64) })
        {
            var refused = await host.Run("run", "onboard", "--tenant", tenant.Value, "--param", bad);
            Assert.True(refused.ExitCode == 2, $"{bad}: exit {refused.ExitCode}\n{refused.StandardOutput}{refused.StandardError}");
        }
        Assert.Equal(issuedBefore, (await registry.ListIssuedCertificatesAsync(tenant)).Count);

        // The tenant's age key rotation (emergency: new store credentials too) carries the CA key along: the CA still signs.
        await Run(host, "rotate-keys", tenant.Value, "reason=emergency");
        var afterKeyRotation = await Run(host, "onboard", tenant.Value, "component=poller", "serves=true");
        Assert.All(StorageEnvironment.Checks(afterKeyRotation), c => Assert.True(c.Pass, $"{c.Test}: {c.Result}"));
        Assert.All(StorageEnvironment.Checks(await Run(host, "verify", tenant.Value)).Where(c => c.Store == "pki"), c => Assert.True(c.Pass, $"{c.Test}: {c.Result}"));

        var deprovision = StorageEnvironment.Checks(await Run(host, "deprovision", tenant.Value));
        Assert.Contains(deprovision, c => c.Test == "onboarding_packages_absent" && c.Result == "ABSENT");
        Assert.All(await registry.GetTenantCasAsync(tenant), c => Assert.Equal(TenantCaStatus.Revoked, c.Status));
        Assert.False(Directory.Exists(package));
    }

    [Fact]
    public async Task ADryRunOfOnboardOrRotationIssuesNothingAndChangesNoCa()
    {
        using var host = stores.NewHost(allStores: false);
        var registry = new TenantRegistry(TestServers.PostgresAdmin, stores.RegistryDatabase);
        var tenant = TestServers.NewTenantId();
        await Run(host, "provision", tenant.Value);
        var before = await registry.GetTenantCasAsync(tenant);

        var onboard = await host.Run("run", "onboard", "--tenant", tenant.Value, "--param", "component=agent", "--dry-run");
        Assert.True(onboard.ExitCode == 0, onboard.StandardOutput + onboard.StandardError);
        Assert.Contains($"agent.default.{tenant}.serviceradar", onboard.StandardOutput + onboard.StandardError, StringComparison.Ordinal);
        var rotate = await host.Run("run", "rotate-tenant-ca", "--tenant", tenant.Value, "--param", "reason=emergency", "--dry-run");
        Assert.True(rotate.ExitCode == 0, rotate.StandardOutput + rotate.StandardError);
        // A component that is no DNS label is refused by the plan too, with the usage exit code, as the real run refuses it.
        foreach (var bad in new[] { "component=Agent", "partition=a_b" })
        {
            var parameters = bad.StartsWith("component", StringComparison.Ordinal) ? new[] { bad } : ["component=agent", bad];
            var refused = await host.Run(["run", "onboard", "--tenant", tenant.Value, .. parameters.SelectMany(p => new[] { "--param", p }), "--dry-run"]);
            Assert.True(refused.ExitCode == 2, $"{bad}: exit {refused.ExitCode}\n{refused.StandardOutput}{refused.StandardError}");
        }

        Assert.Empty(await registry.ListIssuedCertificatesAsync(tenant));
        Assert.False(Directory.Exists(Path.Combine(host.SecretsDir, "tenants", tenant.Value, "onboarding")));
        Assert.Equal(before, await registry.GetTenantCasAsync(tenant));
        await Run(host, "deprovision", tenant.Value);
    }

    [Fact]
    public async Task PkiInitCreatesTheRootOnceAndAdminCertIssuesAnAuditedPlatformAdminCertificate()
    {
        using var host = stores.NewHost(allStores: false);
        var init = await host.Run("pki", "init");
        Assert.True(init.ExitCode == 0, init.StandardOutput + init.StandardError);
        Assert.Contains("created:", init.StandardOutput, StringComparison.Ordinal);
        var again = await host.Run("pki", "init");
        Assert.Contains("nothing was changed", again.StandardOutput, StringComparison.Ordinal);

        Assert.Equal(2, (await host.Run("pki", "admin-cert", "--out", Path.Combine(host.WorkDir, "admin"))).ExitCode); // no reason
        var out_ = Path.Combine(host.WorkDir, "admin");
        var issued = await host.Run("pki", "admin-cert", "--out", out_, "--reason", "incident 42: cross-tenant replay");
        Assert.True(issued.ExitCode == 0, issued.StandardOutput + issued.StandardError);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, Keys.KeyRing.KeyRingTestEnvironment.Mode(Path.Combine(out_, "key.pem")));
        var text = await PkiTestEnvironment.Tool("/usr/bin/openssl", "x509", "-noout", "-subject", "-ext", "subjectAltName,extendedKeyUsage", "-in", Path.Combine(out_, "cert.pem"));
        Assert.Contains("platform-admin.serviceradar", Encoding.UTF8.GetString(text.Output), StringComparison.Ordinal);
        await OpensslVerifies(out_, expectOk: true);
        var registry = new TenantRegistry(TestServers.PostgresAdmin, stores.RegistryDatabase);
        Assert.Contains(await registry.ListAuditAsync(null, 50), e => e.EventType == "PLATFORM_ADMIN_CERT_ISSUED" && e.Details.Contains("incident 42", StringComparison.Ordinal));
        Assert.Equal(2, (await host.Run("pki", "admin-cert", "--out", out_, "--reason", "again")).ExitCode); // never overwrites a key
    }

    private static async Task OpensslVerifies(string folder, bool expectOk)
    {
        var chain = File.ReadAllText(Path.Combine(folder, "ca-chain.pem"));
        var split = chain.IndexOf("-----BEGIN CERTIFICATE-----", 10, StringComparison.Ordinal);
        var dir = Directory.CreateTempSubdirectory("pki-openssl-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(dir, "ca.pem"), chain[..split]);
            File.WriteAllText(Path.Combine(dir, "root.pem"), chain[split..]);
            var (exit, output, error) = await PkiTestEnvironment.Tool("/usr/bin/openssl", "verify", "-x509_strict", "-purpose", "sslclient",
                "-CAfile", Path.Combine(dir, "root.pem"), "-untrusted", Path.Combine(dir, "ca.pem"), Path.Combine(folder, "cert.pem"));
            Assert.True((exit == 0) == expectOk, Encoding.UTF8.GetString(output) + error);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    internal static async Task<string> Run(HostProcess host, string runbook, string tenant, params string[] parameters)
    {
        var args = new List<string> { "run", runbook, "--tenant", tenant, "--json" };
        foreach (var parameter in parameters)
            args.AddRange(["--param", parameter]);
        var run = await host.Run([.. args]);
        Assert.True(run.ExitCode == 0, $"{runbook} {tenant}: exit {run.ExitCode}\n{run.StandardOutput}\n{run.StandardError}");
        return JsonNode.Parse(run.StandardOutput)!["evidence"]!.GetValue<string>();
    }
}
