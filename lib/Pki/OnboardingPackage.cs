using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using RunbookHost.Evidence;
using RunbookHost.IO;
using RunbookHost.Runbooks;
using RunbookHost.Tenants;

namespace RunbookHost.Pki;

/// <summary>
/// One component's onboarding package (runbook <c>onboard</c>): <see cref="Write"/> issues the certificate from the
/// tenant's active CA and replaces the package folder <c>tenants/&lt;id&gt;/onboarding/&lt;component&gt;.&lt;partition&gt;</c>;
/// <see cref="Verify"/> proves the package as a component would use it. The identity is validated when this object is
/// made; an invalid one refuses at the first step (exit 2), before anything is issued. What the evidence gets
/// (<see cref="Serial"/>, fingerprints, file names) never includes a key.
/// </summary>
public sealed class OnboardingPackage
{
    private readonly PkiService? service;
    private readonly string whyDisabled;
    private readonly string? refusal;
    private readonly TenantId tenant;
    private readonly EvidenceSettingsView signing;

    internal OnboardingPackage(PkiService? service, string whyDisabled, TenantId tenant, string component, string partition, bool serves, bool pack,
        EvidenceSettingsView signing)
    {
        this.service = service;
        this.whyDisabled = whyDisabled;
        this.tenant = tenant;
        this.signing = signing;
        Serves = serves;
        Pack = pack;
        try
        {
            IdentityOf = ComponentIdentity.Create(component, partition, tenant);
        }
        catch (InvalidComponentIdentityException error)
        {
            refusal = error.Message;
        }
    }

    internal ComponentIdentity? IdentityOf { get; }
    public bool Serves { get; }
    public bool Pack { get; }

    /// <summary>The component identity (CN and SAN), or null when the parameters were refused.</summary>
    public string? Identity => IdentityOf?.DnsName;

    /// <summary>The issued certificate's serial, its SHA-256, and its CA's serial: set once <see cref="Write"/> ran.</summary>
    public string? Serial { get; private set; }
    public string? Fingerprint { get; private set; }
    public string? CaSerial { get; private set; }

    /// <summary>The package folder relative to the secrets folder (never the key's content).</summary>
    public string? Folder => IdentityOf is null || service is null ? null : service.Files.Relative(FolderPath(service, IdentityOf));

    /// <summary>The .tar.gz beside the folder when <see cref="Pack"/>, relative to the secrets folder.</summary>
    public string? Archive => Pack && Folder is { } folder ? folder + ".tar.gz" : null;

    /// <summary>The files of the package, in the manifest's order.</summary>
    public IReadOnlyList<string> Files => [.. OnboardingFiles.Listed, OnboardingFiles.Manifest];

    internal static string FolderPath(PkiService service, ComponentIdentity identity) =>
        Path.Combine(service.Files.OnboardingFolder(identity.Tenant), $"{identity.Component}.{identity.Partition}");

    public IRunbookOperation Write()
    {
        if (service is null)
            return new SkippedOperation(whyDisabled);
        if (refusal is not null)
            return new RefusedOperation(refusal); // a dry run refuses it too (exit 2), not just the real run
        var identity = IdentityOf;
        var where = identity is null ? "<refused>" : service.Files.Relative(FolderPath(service, identity));
        return new RunbookOperation(
            [
                $"issue {identity?.DnsName ?? "<refused identity>"} from tenant {tenant}'s active CA: P-256, EKU clientAuth{(Serves ? " + serverAuth" : "")}, {service.Settings.ComponentLifetimeDays} days; INSERT INTO issued_certificates",
                $"write {where}/ (0700) atomically: {string.Join(", ", OnboardingFiles.Listed)} (key.pem 0600; nats.json: {(service.Settings.NatsUrl.Length > 0 ? service.Settings.NatsUrl : "no Nats:Url configured")}, prefix {OnboardingFiles.SubjectPrefix(tenant)}, inbox {OnboardingFiles.InboxPrefix(tenant)})",
                $"sign {where}/{OnboardingFiles.Manifest} (file names and SHA-256) with the evidence key",
                .. Pack ? [$"pack {where}.tar.gz (0600: it holds the key)"] : Array.Empty<string>(),
            ],
            async ct =>
            {
                if (refusal is not null)
                    throw new InvalidComponentIdentityException(refusal);
                await WriteAsync(service, identity!, ct).ConfigureAwait(false);
            });
    }

    /// <summary>A component or partition that is no DNS label: describing it (a dry run) or applying it fails with the refusal.</summary>
    private sealed class RefusedOperation(string refusal) : IRunbookOperation
    {
        public IReadOnlyList<string> Describe() => throw new InvalidComponentIdentityException(refusal);

        public Task ApplyAsync(CancellationToken cancellationToken) => throw new InvalidComponentIdentityException(refusal);

        public Func<CancellationToken, Task>? Rollback => null;
    }

    private async Task WriteAsync(PkiService pki, ComponentIdentity identity, CancellationToken cancellationToken)
    {
        using var issued = await pki.IssueComponentCertificateAsync(tenant, identity.Component, identity.Partition, Serves, null, cancellationToken).ConfigureAwait(false);
        using var root = await pki.RootCertificateAsync(cancellationToken).ConfigureAwait(false);
        using var signer = EvidenceSigner.LoadOrCreate(signing.SecretsRoot, signing.EvidenceRoot);
        var now = pki.Clock.GetUtcNow();
        var tenantCas = await pki.TenantClientAuthoritiesAsync(tenant, cancellationToken).ConfigureAwait(false);
        var files = OnboardingFiles.Package(identity, issued, root, tenantCas, pki.Settings.NatsUrl.Length > 0 ? pki.Settings.NatsUrl : null, signer, now);
        foreach (var ca in tenantCas)
            ca.Dispose();
        var folder = FolderPath(pki, identity);
        AtomicFile.CreatePrivateFolder(Path.GetDirectoryName(pki.Files.OnboardingFolder(tenant))!);
        AtomicFile.CreatePrivateFolder(pki.Files.OnboardingFolder(tenant));
        OnboardingFiles.ReplaceFolder(folder, files);
        if (Pack)
            OnboardingFiles.WriteArchive(folder + ".tar.gz", Path.GetFileName(folder), files, now);
        Serial = issued.Serial;
        Fingerprint = issued.Fingerprint;
        CaSerial = CertificateProfiles.SerialOf(issued.Chain[0]);
    }

    /// <summary>The package as a component would use it: every check of <see cref="OnboardingPackageCheck"/>.</summary>
    public ICheckOperation Verify()
    {
        if (service is null)
            return CheckOperation.Fixed(PkiChecks.Incomplete("onboarding_package", whyDisabled));
        if (IdentityOf is not { } identity)
            return CheckOperation.Fixed(PkiChecks.Incomplete("onboarding_package", $"no package: {refusal}"));
        return new CheckOperation(
            [
                $"{service.Files.Relative(FolderPath(service, identity))}: cert.pem names {identity.DnsName} and chains through ca-chain.pem to the platform root (X509Chain, root trusted only)",
                "key.pem is 0600 and is cert.pem's key; manifest.json's signature verifies with the evidence key and every listed SHA-256 matches",
                $"nats.json: subject prefix {OnboardingFiles.SubjectPrefix(tenant)}, inbox prefix {OnboardingFiles.InboxPrefix(tenant)}",
            ],
            ct => OnboardingPackageCheck.RunAsync(service, identity, FolderPath(service, identity), signing, ct));
    }
}

/// <summary>Where the evidence signing key lives (the manifest is signed like evidence).</summary>
internal sealed record EvidenceSettingsView(string SecretsRoot, string EvidenceRoot);

/// <summary>Proves an onboarding package on disk: chain, key, manifest, NATS prefixes.</summary>
internal static class OnboardingPackageCheck
{
    public static async Task<IReadOnlyList<CheckRecord>> RunAsync(PkiService pki, ComponentIdentity identity, string folder, EvidenceSettingsView signing,
        CancellationToken cancellationToken)
    {
        var checks = new List<CheckRecord>();
        string PathOf(string name) => Path.Combine(folder, name);
        var missing = OnboardingFiles.Listed.Append(OnboardingFiles.Manifest).Where(f => !File.Exists(PathOf(f))).ToList();
        checks.Add(PkiChecks.Fact("package_files", missing.Count == 0, missing.Count == 0 ? "ca-chain.pem, cert.pem, key.pem, nats.json, manifest.json" : $"missing: {string.Join(", ", missing)}"));
        if (missing.Count > 0)
            return checks;

        using var root = await pki.RootCertificateAsync(cancellationToken).ConfigureAwait(false);
        var chainFile = new X509Certificate2Collection();
        chainFile.ImportFromPemFile(PathOf(OnboardingFiles.CaChain));
        using var certificate = X509Certificate2.CreateFromPemFile(PathOf(OnboardingFiles.Certificate), PathOf(OnboardingFiles.Key));
        var san = certificate.Extensions.OfType<X509SubjectAlternativeNameExtension>().SingleOrDefault()?.EnumerateDnsNames().ToList() ?? [];
        var named = certificate.GetNameInfo(X509NameType.SimpleName, false) == identity.DnsName && san.SequenceEqual([identity.DnsName]);
        checks.Add(PkiChecks.Fact("package_identity", named, $"CN and the only SAN DNS name are {identity.DnsName}"));
        var rootLast = chainFile.Count >= 2 && chainFile[^1].RawData.AsSpan().SequenceEqual(root.RawData);
        var chain = PkiChain.Validate(certificate, chainFile.Cast<X509Certificate2>().Take(chainFile.Count - 1), root, pki.Clock.GetUtcNow());
        checks.Add(PkiChecks.Fact("package_chain", rootLast && chain.Valid, $"ca-chain.pem: {chainFile.Count} certificates, the root last: {rootLast}; chain: {chain.Status}"));
        var keyPrivate = FileStatus.Of(PathOf(OnboardingFiles.Key), followLinks: false) is { Kind: FileKind.Regular, AccessibleByOthers: false };
        checks.Add(PkiChecks.Fact("package_key_private", keyPrivate && certificate.HasPrivateKey, "key.pem is 0600 and is the key of cert.pem"));
        checks.Add(ManifestCheck(folder, signing));
        checks.Add(NatsCheck(PathOf(OnboardingFiles.Nats), identity.Tenant));
        foreach (var c in chainFile)
            c.Dispose();
        return checks;
    }

    private static CheckRecord ManifestCheck(string folder, EvidenceSettingsView signing)
    {
        var envelope = DsseEnvelope.Parse(File.ReadAllBytes(Path.Combine(folder, OnboardingFiles.Manifest)), out var problem);
        if (envelope is null || envelope.PayloadType != OnboardingFiles.ManifestPayloadType)
            return PkiChecks.Fact("package_manifest", false, envelope is null ? problem : "manifest.json is not an onboarding manifest");
        using var signer = EvidenceSigner.LoadOrCreate(signing.SecretsRoot, signing.EvidenceRoot);
        if (!signer.VerifiesOwn(envelope.KeyId, envelope.Pae(), envelope.Signature))
            return PkiChecks.Fact("package_manifest", false, "manifest.json's signature does not verify with this host's evidence key");
        using var document = JsonDocument.Parse(envelope.Payload);
        var listed = document.RootElement.GetProperty("files").EnumerateArray()
            .Select(f => (Name: f.GetProperty("name").GetString()!, Sha256: f.GetProperty("sha256").GetString()!)).ToList();
        var wrong = listed.Where(f => !OnboardingFiles.Listed.Contains(f.Name)
            || Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(Path.Combine(folder, f.Name)))) != f.Sha256).Select(f => f.Name).ToList();
        var complete = OnboardingFiles.Listed.All(n => listed.Any(f => f.Name == n));
        return PkiChecks.Fact("package_manifest", wrong.Count == 0 && complete,
            $"signed by evidence key {envelope.KeyId[..16]}…; {listed.Count} files listed" + (wrong.Count == 0 ? ", every SHA-256 matches" : $"; differs: {string.Join(", ", wrong)}"));
    }

    private static CheckRecord NatsCheck(string path, TenantId tenant)
    {
        using var document = JsonDocument.Parse(File.ReadAllBytes(path));
        var root = document.RootElement;
        var subject = root.GetProperty("subject_prefix").GetString();
        var inbox = root.GetProperty("inbox_prefix").GetString();
        var holds = subject == OnboardingFiles.SubjectPrefix(tenant) && inbox == OnboardingFiles.InboxPrefix(tenant);
        return PkiChecks.Fact("package_nats_prefixes", holds, $"subject prefix {subject}, inbox prefix {inbox}");
    }
}
