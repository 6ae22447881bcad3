using System.Globalization;
using System.Security.Cryptography.X509Certificates;
using RunbookHost.Evidence;
using RunbookHost.Registry;
using RunbookHost.Runbooks;
using RunbookHost.Tenants;

namespace RunbookHost.Pki;

/// <summary>
/// rotate-tenant-ca (process isolation task 11.4; docs/pki.md "Rotation") as resumable steps. Scheduled: a new CA becomes
/// active and the old one retiring (still trusted) for the overlap; the packages are re-issued under the new CA; a run
/// after the overlap revokes the retiring CA (reason superseded) and publishes the CRL, and creates no new CA while one
/// rotation is still in its overlap. Emergency: a new CA at once, every other CA of the tenant revoked now (reason
/// emergency, CRL published), the packages re-issued. Every step first looks at the registry, so a re-run completes an
/// interrupted rotation instead of starting another. No step registers an undo: a half-done rotation is completed, not
/// rolled back (the old CA stays trusted until it is retired or revoked).
/// </summary>
public sealed class TenantCaRotation
{
    public const string Scheduled = "scheduled";
    public const string Emergency = "emergency";
    public static readonly IReadOnlyList<string> Reasons = [Scheduled, Emergency];

    private readonly PkiService? service;
    private readonly string whyDisabled;
    private readonly TenantId tenant;
    private readonly EvidenceSettingsView signing;
    private readonly List<string> reissued = [];
    private readonly List<string> revoked = [];
    private readonly List<string> notes = [];

    internal TenantCaRotation(PkiService? service, string whyDisabled, TenantId tenant, string reason, int? overlapDays, EvidenceSettingsView signing)
    {
        if (!Reasons.Contains(reason))
            throw new ArgumentException($"reason must be one of {string.Join(", ", Reasons)}", nameof(reason));
        this.service = service;
        this.whyDisabled = whyDisabled;
        this.tenant = tenant;
        this.signing = signing;
        Reason = reason;
        OverlapDays = overlapDays ?? service?.Settings.OverlapDays ?? 0;
        if (OverlapDays is < 0 or > 365)
            throw new ArgumentOutOfRangeException(nameof(overlapDays), "the overlap is 0-365 days");
    }

    public string Reason { get; }
    public bool IsEmergency => Reason == Emergency;
    public int OverlapDays { get; }
    /// <summary>The CA active after this run, and the one it replaced (null when this run created none).</summary>
    public string? ActiveSerial { get; private set; }
    public string? PreviousSerial { get; private set; }
    public bool CreatedNewCa { get; private set; }
    /// <summary>Serials of the certificates re-issued into packages, and of the CAs revoked by this run.</summary>
    public IReadOnlyList<string> Reissued => reissued;
    public IReadOnlyList<string> Revoked => revoked;
    /// <summary>When the retiring CA may be retired by a re-run (null when none is retiring).</summary>
    public DateTimeOffset? OverlapEndsAt { get; private set; }
    public IReadOnlyList<string> Notes => notes;

    /// <summary>Step 1: a new active CA, the old one retiring; skipped (noted) while an earlier rotation is still in its overlap.</summary>
    public IRunbookOperation NewCa() => service is null ? new SkippedOperation(whyDisabled) : new RunbookOperation(
        [
            IsEmergency
                ? $"new CA for tenant {tenant} (signed by the root, name-constrained to {ComponentIdentity.TenantSuffix(tenant)}); the active one becomes retiring until revoked below"
                : $"unless a CA of tenant {tenant} is already retiring (a rotation in its overlap): new CA, the active one becomes retiring for {OverlapDays} days",
            "the new key replaces the old one in the tenant's secrets file (encrypted to its age key); INSERT INTO tenant_cas; UPDATE tenant_cas SET status = 'retiring'",
        ],
        async ct =>
        {
            var cas = await service.Registry.GetTenantCasAsync(tenant, ct).ConfigureAwait(false);
            if (cas.All(c => c.Status != TenantCaStatus.Active))
                throw new PkiException($"tenant {tenant} has no active CA: run provision first");
            var retiring = cas.Where(c => c.Status == TenantCaStatus.Retiring).ToList();
            if (!IsEmergency && retiring.Count > 0)
            {
                ActiveSerial = cas.First(c => c.Status == TenantCaStatus.Active).Serial;
                notes.Add($"a rotation is already in its overlap (retiring: {string.Join(", ", retiring.Select(r => r.Serial))}): no new CA");
                return;
            }
            var outcome = await service.RotateTenantCaAsync(tenant, ct).ConfigureAwait(false);
            (ActiveSerial, PreviousSerial, CreatedNewCa) = (outcome.Active.Serial, outcome.PreviousSerial, outcome.Created);
            if (outcome.Resumed)
                notes.Add("completed a rotation an earlier run had started");
        });

    /// <summary>Step 2: every package of the tenant whose certificate is not from the active CA gets a new one from it.</summary>
    public IRunbookOperation ReissuePackages() => service is null ? new SkippedOperation(whyDisabled) : new RunbookOperation(
        [$"for each package under {service.Files.Relative(service.Files.OnboardingFolder(tenant))}/ whose cert.pem the active CA did not issue: issue a new certificate (same identity and usages) and replace the package atomically"],
        async ct =>
        {
            var active = await service.Registry.GetActiveTenantCaAsync(tenant, ct).ConfigureAwait(false)
                ?? throw new PkiException($"tenant {tenant} has no active CA");
            foreach (var (identity, serves, pack) in Packages(service))
            {
                var folder = OnboardingPackage.FolderPath(service, identity);
                using (var current = PemFiles.ReadCertificate(Path.Combine(folder, OnboardingFiles.Certificate)))
                {
                    if (IssuerSerial(service, current) == active.Serial)
                        continue;
                }
                var package = new OnboardingPackage(service, whyDisabled, tenant, identity.Component, identity.Partition, serves, pack, signing);
                await package.Write().ApplyAsync(ct).ConfigureAwait(false);
                reissued.Add(package.Serial!);
            }
        });

    /// <summary>
    /// Step 3: emergency: every CA but the active one revoked now; scheduled: the retiring CAs whose overlap has ended revoked
    /// (reason superseded). Either way the root's CRL is published when anything was revoked.
    /// </summary>
    public IRunbookOperation RetireOld() => service is null ? new SkippedOperation(whyDisabled) : new RunbookOperation(
        [
            IsEmergency
                ? $"UPDATE tenant_cas SET status = 'revoked', reason = 'emergency' WHERE tenant_id = '{tenant}' AND status = 'retiring'"
                : $"UPDATE tenant_cas SET status = 'revoked', reason = 'superseded' WHERE tenant_id = '{tenant}' AND status = 'retiring' AND retiring_since + {OverlapDays} days <= now()",
            $"publish the root's CRL to {service.Files.Relative(service.Files.RootCrl)}",
        ],
        async ct =>
        {
            var cas = await service.Registry.GetTenantCasAsync(tenant, ct).ConfigureAwait(false);
            var due = IsEmergency
                ? cas.Where(c => c.Status == TenantCaStatus.Retiring).ToList()
                : await service.RetiringPastOverlapAsync(tenant, TimeSpan.FromDays(OverlapDays), ct).ConfigureAwait(false);
            foreach (var ca in due)
                revoked.AddRange(await service.RevokeTenantCasAsync(tenant, IsEmergency ? RevocationReasons.Emergency : RevocationReasons.Superseded, ca.Serial, ct).ConfigureAwait(false));
            var stillRetiring = (await service.Registry.GetTenantCasAsync(tenant, ct).ConfigureAwait(false)).Where(c => c.Status == TenantCaStatus.Retiring).ToList();
            OverlapEndsAt = stillRetiring.Select(c => c.RetiringSince!.Value.AddDays(OverlapDays)).DefaultIfEmpty().Max() is { } end && end != default ? end : null;
            if (OverlapEndsAt is { } ends)
                notes.Add($"the previous CA stays trusted until {ends.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture)}: run rotate-tenant-ca again after that to retire it");
        });

    /// <summary>The rotation holds: one active CA; every package is from it; emergency: nothing else trusted; every revoked CA on the CRL.</summary>
    public ICheckOperation Verify()
    {
        if (service is null)
            return CheckOperation.Fixed(PkiChecks.Incomplete("tenant_ca_rotation", whyDisabled));
        return new CheckOperation(
            [$"registry: tenant {tenant} has one active CA{(IsEmergency ? " and no other trusted" : "")}; every package's certificate chains to it; the root's CRL (signature verified) lists every revoked CA of the tenant"],
            async ct =>
            {
                var cas = await service.Registry.GetTenantCasAsync(tenant, ct).ConfigureAwait(false);
                var active = cas.Where(c => c.Status == TenantCaStatus.Active).ToList();
                var retiring = cas.Where(c => c.Status == TenantCaStatus.Retiring).Select(c => c.Serial).ToList();
                var checks = new List<CheckRecord>
                {
                    PkiChecks.Fact("rotation_one_active_ca", active.Count == 1, $"active: {string.Join(", ", active.Select(a => a.Serial))}; retiring: {(retiring.Count == 0 ? "none" : string.Join(", ", retiring))}"),
                };
                if (IsEmergency)
                    checks.Add(PkiChecks.Fact("rotation_old_ca_untrusted", retiring.Count == 0, retiring.Count == 0 ? "no CA but the new one is trusted" : $"still trusted: {string.Join(", ", retiring)}"));
                var stale = Packages(service).Select(p => p.Identity).Where(identity =>
                {
                    using var cert = PemFiles.ReadCertificate(Path.Combine(OnboardingPackage.FolderPath(service, identity), OnboardingFiles.Certificate));
                    return active.Count != 1 || IssuerSerial(service, cert) != active[0].Serial;
                }).Select(i => i.DnsName).ToList();
                checks.Add(PkiChecks.Fact("rotation_packages_reissued", stale.Count == 0, stale.Count == 0 ? $"every package of tenant {tenant} is from the active CA" : $"not re-issued: {string.Join(", ", stale)}"));
                var revokedCas = cas.Where(c => c.Status == TenantCaStatus.Revoked).Select(c => c.Serial).ToList();
                if (revokedCas.Count == 0)
                    checks.Add(CheckRecord.Skipped(PkiChecks.Store, "crl_lists_revoked_cas", "no CA of the tenant is revoked yet"));
                else
                {
                    using var root = await service.RootCertificateAsync(ct).ConfigureAwait(false);
                    var crl = File.Exists(service.Files.RootCrl) ? CrlContents.ReadPem(await File.ReadAllTextAsync(service.Files.RootCrl, ct).ConfigureAwait(false), root) : null;
                    var missing = revokedCas.Where(s => crl is null || !crl.RevokedSerials.Contains(s)).ToList();
                    var current = crl is not null && crl.IsCurrent(service.Clock.GetUtcNow());
                    checks.Add(PkiChecks.Fact("crl_lists_revoked_cas", crl is { SignatureValid: true } && current && missing.Count == 0,
                        crl is null ? "the root's CRL is missing" : $"signature {(crl.SignatureValid ? "valid" : "INVALID")}, next update {crl.NextUpdate:yyyy-MM-ddTHH:mm:ssZ}{(current ? "" : " (PAST)")}; " + (missing.Count == 0 ? $"lists {string.Join(", ", revokedCas)}" : $"missing {string.Join(", ", missing)}")));
                }
                return checks;
            });
    }

    /// <summary>The tenant's packages on disk: identity from the folder name, usages and packing from what is there.</summary>
    private IEnumerable<(ComponentIdentity Identity, bool Serves, bool Pack)> Packages(PkiService pki)
    {
        var folder = pki.Files.OnboardingFolder(tenant);
        if (!Directory.Exists(folder))
            yield break;
        foreach (var path in Directory.EnumerateDirectories(folder).Order(StringComparer.Ordinal))
        {
            var name = Path.GetFileName(path);
            if (name.StartsWith('.') || !File.Exists(Path.Combine(path, OnboardingFiles.Certificate)))
                continue;
            if (!ComponentIdentity.TryParse($"{name}.{tenant.Value}.{ComponentIdentity.Suffix}", out var identity, out _))
                continue;
            using var cert = PemFiles.ReadCertificate(Path.Combine(path, OnboardingFiles.Certificate));
            var serves = cert.Extensions.OfType<X509EnhancedKeyUsageExtension>().SingleOrDefault()?.EnhancedKeyUsages
                .Cast<System.Security.Cryptography.Oid>().Any(o => o.Value == CertificateProfiles.ServerAuth.Value) ?? false;
            yield return (identity, serves, File.Exists(path + ".tar.gz"));
        }
    }

    /// <summary>The serial of the tenant CA that issued <paramref name="certificate"/>: the CA whose key verifies it, or null.</summary>
    private string? IssuerSerial(PkiService pki, X509Certificate2 certificate)
    {
        var folder = pki.Files.TenantFolder(tenant);
        foreach (var path in Directory.EnumerateFiles(folder, "ca-*.pem"))
        {
            using var ca = PemFiles.ReadCertificate(path);
            if (IssuedBy(certificate, ca))
                return CertificateProfiles.SerialOf(ca);
        }
        return null;
    }

    private static bool IssuedBy(X509Certificate2 certificate, X509Certificate2 ca)
    {
        if (certificate.IssuerName.RawData.AsSpan().SequenceEqual(ca.SubjectName.RawData) is false)
            return false;
        var aki = certificate.Extensions.OfType<X509AuthorityKeyIdentifierExtension>().SingleOrDefault()?.KeyIdentifier;
        var ski = ca.Extensions.OfType<X509SubjectKeyIdentifierExtension>().SingleOrDefault()?.SubjectKeyIdentifierBytes;
        return aki is { } a && ski is { } s && a.Span.SequenceEqual(s.Span);
    }
}
