using System.Security.Cryptography.X509Certificates;
using RunbookHost.Evidence;
using RunbookHost.Tenants;

namespace RunbookHost.Pki;

/// <summary>
/// The verification of one tenant's CA (docs/pki.md, "What verify proves"): registry and file agree, it chains to the
/// root, its profile (pathLen 0, key usage, the name constraint exactly the tenant's) and validity, its key is in the
/// tenant's encrypted secrets, the root key is stored encrypted; and the constraint is enforced: a certificate the
/// CA signs for its own tenant's name chains, one for another tenant's name is refused by .NET's chain building.
/// Those two probe certificates are signed in memory and never recorded or written.
/// </summary>
internal sealed class TenantCaProof(PkiService service, TenantId tenant, TenantId otherTenant, TimeProvider clock)
{
    public async Task<IReadOnlyList<CheckRecord>> RunAsync(CancellationToken cancellationToken)
    {
        var checks = new List<CheckRecord>();
        var (holds, detail) = service.Platform.ProveRootKeyProtected();
        checks.Add(PkiChecks.Fact("root_key_encrypted", holds, detail));
        var active = await service.Registry.GetActiveTenantCaAsync(tenant, cancellationToken).ConfigureAwait(false);
        checks.Add(PkiChecks.Fact("tenant_ca_registered", active is not null,
            active is null ? $"the registry has no active CA for tenant {tenant}" : $"active CA {active.Serial}, SHA-256 {active.Fingerprint}"));
        if (active is null || !service.IsInitialized)
            return checks;

        TenantCaKey ca;
        try
        {
            ca = await service.LoadActiveTenantCaAsync(tenant, cancellationToken).ConfigureAwait(false);
        }
        catch (PkiException error)
        {
            checks.Add(PkiChecks.Fact("tenant_ca_files_match_registry", false, error.Message));
            return checks;
        }
        using (ca)
        using (var root = service.Platform.Root())
        {
            var now = clock.GetUtcNow();
            checks.Add(PkiChecks.Fact("tenant_ca_files_match_registry", true,
                $"{service.Files.Relative(service.Files.TenantCaCertificate(tenant, active.Serial))} has the registry's SHA-256; the tenant's secrets file (encrypted to its age key) holds its key"));
            var chain = PkiChain.Validate(ca.Certificate, [], root, now);
            checks.Add(PkiChecks.Fact("tenant_ca_chains_to_root", chain.Valid, $"X509Chain to the platform root only: {chain.Status}"));
            checks.Add(Profile(ca.Certificate));
            checks.Add(Constraint(ca.Certificate));
            checks.Add(Usage(ca.Certificate));
            var notBefore = ca.Certificate.NotBefore.ToUniversalTime();
            var notAfter = ca.Certificate.NotAfter.ToUniversalTime();
            var inside = notBefore <= now.UtcDateTime && now.UtcDateTime < notAfter && notAfter <= root.NotAfter.ToUniversalTime();
            checks.Add(PkiChecks.Fact("tenant_ca_validity", inside, $"valid {notBefore:yyyy-MM-ddTHH:mm:ssZ} to {notAfter:yyyy-MM-ddTHH:mm:ssZ}, within the root's"));
            checks.AddRange(Enforcement(ca, root, now));
        }
        return checks;
    }

    private static CheckRecord Profile(X509Certificate2 certificate)
    {
        var basic = certificate.Extensions.OfType<X509BasicConstraintsExtension>().SingleOrDefault();
        var holds = basic is { CertificateAuthority: true, HasPathLengthConstraint: true, PathLengthConstraint: 0, Critical: true };
        return PkiChecks.Fact("tenant_ca_path_length_zero", holds, basic is null ? "no basic constraints"
            : $"CA={basic.CertificateAuthority}, pathLen={(basic.HasPathLengthConstraint ? basic.PathLengthConstraint : "none")}, critical={basic.Critical}");
    }

    private CheckRecord Constraint(X509Certificate2 certificate)
    {
        var expected = NameConstraints.ForTenant(tenant);
        var extension = certificate.Extensions[NameConstraints.Oid];
        var actual = extension is null ? null : NameConstraints.TryDecode(extension);
        var holds = actual is not null && actual.SameAs(expected);
        return PkiChecks.Fact("tenant_ca_name_constraint", holds, extension is null ? "no name constraints extension"
            : actual is null ? "the name constraints hold a form runbook-host does not issue"
            : holds ? actual.ToString()
            : $"{actual}; expected exactly {expected} (a CA made before e-mail, URI and subject were constrained: run rotate-tenant-ca)");
    }

    private static CheckRecord Usage(X509Certificate2 certificate)
    {
        var usage = certificate.Extensions.OfType<X509KeyUsageExtension>().SingleOrDefault();
        var holds = usage is { Critical: true, KeyUsages: X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign };
        return PkiChecks.Fact("tenant_ca_key_usage", holds, usage is null ? "no key usage" : $"{usage.KeyUsages}, critical={usage.Critical}");
    }

    private IEnumerable<CheckRecord> Enforcement(TenantCaKey ca, X509Certificate2 root, DateTimeOffset now)
    {
        var own = $"probe.verify.{tenant.Value}.{ComponentIdentity.Suffix}";
        var foreign = $"probe.verify.{otherTenant.Value}.{ComponentIdentity.Suffix}";
        using var key = CertificateProfiles.NewP256();
        using var ownLeaf = CertificateProfiles.CreateLeaf([own], [], true, false, key, ca.Certificate, ca.Key, now, 1, tenant);
        using var foreignLeaf = CertificateProfiles.CreateLeaf([foreign], [], true, false, key, ca.Certificate, ca.Key, now, 1, tenant);
        // Own DNS name, but the other tenant in the subject (OU and CN), or an e-mail / URI naming the other tenant: a
        // peer that maps identities by subject, e-mail or URI (nats verify_and_map does) must refuse these too.
        using var foreignSubject = CertificateProfiles.CreateLeaf([own], [], true, false, key, ca.Certificate, ca.Key, now, 1, otherTenant);
        using var withEmail = CertificateProfiles.CreateLeaf([own], [], true, false, key, ca.Certificate, ca.Key, now, 1, tenant,
            san => san.AddEmailAddress($"probe@{foreign}"));
        using var withUri = CertificateProfiles.CreateLeaf([own], [], true, false, key, ca.Certificate, ca.Key, now, 1, tenant,
            san => san.AddUri(new Uri($"nats://{foreign}")));
        var ownChain = PkiChain.Validate(ownLeaf, [ca.Certificate], root, now);
        yield return PkiChecks.Fact("name_constraint_own_name_accepted", ownChain.Valid,
            $"a certificate this CA signs for {own} chains to the root: {ownChain.Status}");
        yield return Refused("name_constraint_cross_tenant_refused", foreignLeaf, $"a certificate this CA signs for tenant {otherTenant}'s name {foreign}");
        yield return Refused("name_constraint_foreign_subject_refused", foreignSubject, $"a certificate for {own} whose subject names tenant {otherTenant}");
        yield return Refused("name_constraint_email_refused", withEmail, $"a certificate for {own} with the e-mail SAN probe@{foreign}");
        yield return Refused("name_constraint_uri_refused", withUri, $"a certificate for {own} with the URI SAN nats://{foreign}");

        CheckRecord Refused(string name, X509Certificate2 leaf, string what)
        {
            var chain = PkiChain.Validate(leaf, [ca.Certificate], root, now);
            var refusedForConstraint = !chain.Valid && chain.Status.Contains("NameConstraint", StringComparison.Ordinal);
            return PkiChecks.Refusal(name, refusedForConstraint, $"{what}: {chain.Status}");
        }
    }
}
