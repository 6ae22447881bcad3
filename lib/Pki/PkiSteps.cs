using RunbookHost.Evidence;
using RunbookHost.Runbooks;
using RunbookHost.Runbooks.Steps;
using RunbookHost.Tenants;

namespace RunbookHost.Pki;

/// <summary>
/// The tenant's certificate authority as runbook steps (docs/pki.md; process isolation tasks 1.x, 2.x, 11.4). Provision:
/// <see cref="EnsureTenantCa"/>. Verification: <see cref="Verify"/>. Deprovision: <see cref="RevokeTenantCa"/>, then
/// <see cref="VerifyRevoked"/>. A null service means there is no registry to record CAs in.
/// </summary>
public sealed class PkiSteps
{
    private readonly TenantRun run;
    private readonly PkiService? service;
    private readonly string whyDisabled;

    internal PkiSteps(TenantRun run, PkiService? service, string whyDisabled)
    {
        this.run = run;
        this.service = service;
        this.whyDisabled = whyDisabled;
    }

    private RunScope Scope => run.Scope;
    private TenantId Tenant => run.Tenant;

    /// <summary>
    /// The tenant's intermediate CA, created when it has none (the platform root too, the first time); recorded as
    /// Component.Pki. Undo: the CA this run created is revoked (reason rolled-back) and the CRL republished.
    /// </summary>
    public IRunbookOperation EnsureTenantCa()
    {
        if (service is null)
            return new SkippedOperation(whyDisabled);
        var files = service.Files;
        TenantCaOutcome? outcome = null;
        return new RunbookOperation(
            [
                $"if absent: create the platform root CA (P-384, pathLen 1) and platform-admin CA; keys age-encrypted to {files.Relative(files.PlatformKey)} (0600)",
                $"if tenant {Tenant} has no active CA: new P-256 key, certificate signed by the root (pathLen 0, keyCertSign|cRLSign, name constraint: DNS under {ComponentIdentity.TenantSuffix(Tenant)}, subject under O=serviceradar/OU={Tenant}, no e-mail, URI or IP)",
                $"write {files.Relative(files.TenantCaCertificate(Tenant, "<serial>"))}; put the key (***) in {run.KeyRing.Files(Tenant).Relative(run.KeyRing.Files(Tenant).Secrets)} as {PkiService.TenantCaKeyName}, encrypted to the tenant's age key",
                "INSERT INTO tenant_cas (serial, tenant_id, sha256_fingerprint, not_before, not_after, status) VALUES (<serial>, '" + Tenant + "', <sha256>, ..., 'active')",
            ],
            async ct =>
            {
                outcome = await service.EnsureTenantCaAsync(Tenant, ct).ConfigureAwait(false);
                await Scope.Ledger.RecordAsync(Component.Pki, $"tenant CA {outcome.Active.Serial} sha256:{outcome.Active.Fingerprint}", ct).ConfigureAwait(false);
            },
            async ct =>
            {
                // Only a CA this run created is undone: a tenant that already had one keeps it, and keeps it recorded.
                if (outcome is not { Created: true })
                    return;
                await service.RevokeTenantCasAsync(Tenant, RevocationReasons.RolledBack, outcome.Active.Serial, ct).ConfigureAwait(false);
                await Scope.Ledger.RemoveAsync(Component.Pki, ct).ConfigureAwait(false);
            });
    }

    /// <summary>
    /// The onboarding package of one component of this tenant (runbook onboard): <c>Write()</c> issues and writes it,
    /// <c>Verify()</c> proves it. An invalid component or partition is refused at the first step (exit 2).
    /// </summary>
    public OnboardingPackage Onboarding(string component, string partition, bool serves = false, bool pack = false) =>
        new(service, whyDisabled, Tenant, component, partition, serves, pack, Signing);

    /// <summary>
    /// The rotation of this tenant's CA (runbook rotate-tenant-ca), <paramref name="reason"/> scheduled or emergency;
    /// <paramref name="overlapDays"/> empty for Pki:OverlapDays.
    /// </summary>
    public TenantCaRotation CaRotation(string reason, string overlapDays = "")
    {
        int? overlap = overlapDays.Length == 0 ? null
            : int.TryParse(overlapDays, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var days) ? days
            : throw new ArgumentException("overlap-days must be a whole number of days");
        return new TenantCaRotation(service, whyDisabled, Tenant, reason, overlap, Signing);
    }

    private EvidenceSettingsView Signing => new(run.Services.Settings.Paths.Secrets, run.Services.Settings.Paths.Evidence);

    /// <summary>The tenant's CA proven (see <see cref="TenantCaProof"/>), one check per property.</summary>
    public ICheckOperation Verify()
    {
        var notConfigured = service is null ? whyDisabled : null;
        return Verification.Probe(Scope, Component.Pki, PkiChecks.Store, "tenant_ca", notConfigured,
            [
                $"registry: tenant {Tenant}'s active CA; its certificate file's SHA-256 equals the registry's; the tenant's secrets hold its key",
                "X509Chain to the platform root only; basic constraints CA pathLen 0 (critical); key usage keyCertSign|cRLSign (critical); valid now, within the root",
                $"name constraint exactly: DNS under {ComponentIdentity.TenantSuffix(Tenant)}, subject under O=serviceradar/OU={Tenant}, no e-mail, URI or IP",
                "in memory, signed by the tenant CA: a certificate for the tenant's own name must chain; one for another tenant's name, subject, e-mail or URI must be refused (name constraint)",
                "the root key is age-encrypted (0600) and no plain key file exists",
            ],
            async ct =>
            {
                var others = await run.OtherTenants().ConfigureAwait(false);
                var other = others.Count > 0 ? others[0] : TenantId.Parse(Tenant.Value == "othertenant" ? "othertenantb" : "othertenant");
                return await new TenantCaProof(service!, Tenant, other, run.Services.Clock).RunAsync(ct).ConfigureAwait(false);
            });
    }

    /// <summary>Deprovision: every CA of the tenant revoked (reason deprovisioned) and the root's CRL republished; Component.Pki forgotten.</summary>
    public IRunbookOperation RevokeTenantCa()
    {
        if (service is null)
            return new SkippedOperation(whyDisabled);
        return new RunbookOperation(
            [
                $"UPDATE tenant_cas SET status = 'revoked', reason = '{RevocationReasons.Deprovisioned}' WHERE tenant_id = '{Tenant}' AND status <> 'revoked'",
                $"publish the root's CRL (every revoked tenant CA) to {service.Files.Relative(service.Files.RootCrl)}",
                $"remove {service.Files.Relative(service.Files.OnboardingFolder(Tenant))}/ (the packages' keys; their CA is revoked)",
            ],
            async ct =>
            {
                await service.RevokeTenantCasAsync(Tenant, RevocationReasons.Deprovisioned, null, ct).ConfigureAwait(false);
                if (Directory.Exists(service.Files.OnboardingFolder(Tenant)))
                    Directory.Delete(service.Files.OnboardingFolder(Tenant), recursive: true);
                await Scope.Ledger.RemoveAsync(Component.Pki, ct).ConfigureAwait(false);
            });
    }

    /// <summary>After deprovisioning: no CA of the tenant is trusted any more, and the root's CRL (signature verified) lists each one.</summary>
    public ICheckOperation VerifyRevoked()
    {
        if (service is null)
            return CheckOperation.Fixed(Scope.InsteadOfProbing(Component.Pki, PkiChecks.Store, "tenant_ca_revoked", whyDisabled)
                ?? PkiChecks.Incomplete("tenant_ca_revoked", whyDisabled));
        return new CheckOperation([$"registry: no CA of tenant {Tenant} active or retiring; {service.Files.Relative(service.Files.RootCrl)} verifies with the root and lists each"],
            async ct =>
            {
                var cas = await service.Registry.GetTenantCasAsync(Tenant, ct).ConfigureAwait(false);
                var trusted = cas.Where(c => c.Status != Registry.TenantCaStatus.Revoked).Select(c => c.Serial).ToList();
                var checks = new List<CheckRecord>
                {
                    PkiChecks.Fact("tenant_ca_revoked", trusted.Count == 0,
                        trusted.Count == 0 ? $"{cas.Count} CA(s) of tenant {Tenant}, all revoked" : $"still trusted: {string.Join(", ", trusted)}"),
                    Verification.Absence(PkiChecks.Store, "onboarding_packages_absent", !Directory.Exists(service.Files.OnboardingFolder(Tenant)),
                        service.Files.Relative(service.Files.OnboardingFolder(Tenant))),
                };
                if (cas.Count == 0 || !service.IsInitialized || !File.Exists(service.Files.RootCrl))
                {
                    checks.Add(cas.Count == 0
                        ? CheckRecord.Skipped(PkiChecks.Store, "crl_lists_tenant_cas", $"tenant {Tenant} never had a CA")
                        : PkiChecks.Fact("crl_lists_tenant_cas", false, "the root's CRL has not been published"));
                    return checks;
                }
                using var root = await service.RootCertificateAsync(ct).ConfigureAwait(false);
                var crl = CrlContents.ReadPem(await File.ReadAllTextAsync(service.Files.RootCrl, ct).ConfigureAwait(false), root);
                var missing = cas.Select(c => c.Serial).Where(s => !crl.RevokedSerials.Contains(s)).ToList();
                var current = crl.IsCurrent(service.Clock.GetUtcNow());
                checks.Add(PkiChecks.Fact("crl_lists_tenant_cas", crl.SignatureValid && current && missing.Count == 0,
                    $"CRL of {crl.ThisUpdate:yyyy-MM-ddTHH:mm:ssZ}, next update {crl.NextUpdate:yyyy-MM-ddTHH:mm:ssZ}{(current ? "" : " (PAST: republish it)")}, signature {(crl.SignatureValid ? "valid" : "INVALID")}, {crl.RevokedSerials.Count} entries"
                    + (missing.Count == 0 ? "; lists every CA of the tenant" : $"; missing {string.Join(", ", missing)}")));
                return checks;
            });
    }
}
