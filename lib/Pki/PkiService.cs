using System.Net;
using System.Numerics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using RunbookHost.IO;
using RunbookHost.Keys.KeyRing;
using RunbookHost.Registry;
using RunbookHost.Tenants;

namespace RunbookHost.Pki;

/// <summary>
/// The platform's certificate authority (docs/pki.md): the root and platform-admin CA (<see cref="PlatformAuthority"/>),
/// one intermediate CA per tenant whose key is a value of the tenant's SOPS secrets file (so it is encrypted to the
/// tenant's age key, re-encrypted by rotate-keys and archived with it at deprovision), the registry's record of every CA
/// and every certificate issued (migration 6), and the root's CRL. The NATS side (lib/Nats) uses the certificates and
/// <see cref="TrustedClientAuthoritiesAsync"/>; it never sees a CA key.
/// </summary>
public sealed class PkiService
{
    /// <summary>The tenant CA's private key (base64 PKCS#8 DER) in the tenant's secrets file.</summary>
    public const string TenantCaKeyName = "pki_ca_key";

    public const string KindComponent = "component";
    public const string KindServer = "server";
    public const string KindPlatformAdmin = "platform-admin";

    private readonly PlatformAuthority platform;
    private readonly TenantKeyRing keys;
    private readonly TimeProvider clock;

    public PkiService(PkiFiles files, PkiSettings settings, TenantKeyRing keys, TenantRegistry registry, TimeProvider clock)
    {
        ArgumentNullException.ThrowIfNull(settings);
        settings.Validate();
        Files = files ?? throw new ArgumentNullException(nameof(files));
        Settings = settings;
        this.keys = keys ?? throw new ArgumentNullException(nameof(keys));
        Registry = registry ?? throw new ArgumentNullException(nameof(registry));
        this.clock = clock ?? throw new ArgumentNullException(nameof(clock));
        platform = new PlatformAuthority(files, settings, clock);
    }

    public PkiFiles Files { get; }
    public PkiSettings Settings { get; }
    public TenantRegistry Registry { get; }
    public TimeProvider Clock => clock;
    internal PlatformAuthority Platform => platform;

    /// <summary>True once the root exists (<see cref="InitializeAsync"/>).</summary>
    public bool IsInitialized => platform.IsInitialized;

    /// <summary>Creates the platform age key, root and platform-admin CA where missing (idempotent); returns the files created.</summary>
    public Task<IReadOnlyList<string>> InitializeAsync(CancellationToken cancellationToken) => Task.FromResult(platform.Initialize());

    /// <summary>The root certificate (no key). Throws <see cref="PkiNotInitializedException"/> before <see cref="InitializeAsync"/>.</summary>
    public Task<X509Certificate2> RootCertificateAsync(CancellationToken cancellationToken) => Task.FromResult(platform.Root());

    /// <summary>The platform-admin CA certificate (no key).</summary>
    public Task<X509Certificate2> PlatformAdminCaAsync(CancellationToken cancellationToken) => Task.FromResult(platform.AdminCa());

    /// <summary>
    /// What a server may trust for client certificates: every tenant CA that is active, or retiring and still inside its
    /// overlap (Pki:OverlapDays from when it began retiring), plus the platform-admin CA. Never the root: with the root as an anchor a revoked intermediate presented in a client's chain would still verify.
    /// Each certificate is checked against the registry's fingerprint; a mismatch throws rather than trust an unknown file.
    /// </summary>
    public async Task<IReadOnlyList<X509Certificate2>> TrustedClientAuthoritiesAsync(CancellationToken cancellationToken)
    {
        var trusted = new List<X509Certificate2>();
        var now = clock.GetUtcNow();
        var overlap = TimeSpan.FromDays(Settings.OverlapDays);
        foreach (var ca in await Registry.ListTenantCasAsync([TenantCaStatus.Active, TenantCaStatus.Retiring], cancellationToken).ConfigureAwait(false))
        {
            if (ca.Status == TenantCaStatus.Retiring && (ca.RetiringSince is not { } since || since + overlap <= now))
                continue;
            trusted.Add(LoadTenantCaCertificate(ca));
        }
        trusted.Add(platform.AdminCa());
        return trusted;
    }

    /// <summary>
    /// What a component of <paramref name="tenant"/> that serves may trust for client certificates (its package's
    /// client-ca.pem): the tenant's active CA and its retiring ones still inside the overlap; no other tenant's, never the root.
    /// </summary>
    public async Task<IReadOnlyList<X509Certificate2>> TenantClientAuthoritiesAsync(TenantId tenant, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tenant);
        var now = clock.GetUtcNow();
        return [.. (await Registry.GetTenantCasAsync(tenant, cancellationToken).ConfigureAwait(false))
            .Where(ca => ca.Status == TenantCaStatus.Active || InOverlap(ca, now))
            .Select(LoadTenantCaCertificate)];
    }

    private bool InOverlap(TenantCaRecord ca, DateTimeOffset now) =>
        ca.Status == TenantCaStatus.Retiring && ca.RetiringSince is { } since && since + TimeSpan.FromDays(Settings.OverlapDays) > now;

    // ------------------------------------------------------------------ tenant CA

    /// <summary>The tenant's active CA certificate, checked against the registry; null when it has none.</summary>
    public async Task<X509Certificate2?> TenantCaCertificateAsync(TenantId tenant, CancellationToken cancellationToken) =>
        await Registry.GetActiveTenantCaAsync(tenant, cancellationToken).ConfigureAwait(false) is { } active ? LoadTenantCaCertificate(active) : null;

    /// <summary>
    /// Provision: the tenant's CA, created when it has none. Idempotent and resumable: a run that crashed after writing
    /// the new key into the secrets file (and the certificate beside it) but before the registry recorded it is completed.
    /// </summary>
    public Task<TenantCaOutcome> EnsureTenantCaAsync(TenantId tenant, CancellationToken cancellationToken) => CreateTenantCaAsync(tenant, rotate: false, cancellationToken);

    /// <summary>
    /// rotate-tenant-ca: a new active CA; the one that was active becomes retiring (still trusted for the overlap).
    /// A re-run after a crash completes the same rotation instead of starting another one.
    /// </summary>
    public Task<TenantCaOutcome> RotateTenantCaAsync(TenantId tenant, CancellationToken cancellationToken) => CreateTenantCaAsync(tenant, rotate: true, cancellationToken);

    private async Task<TenantCaOutcome> CreateTenantCaAsync(TenantId tenant, bool rotate, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tenant);
        if (!platform.IsInitialized)
            platform.Initialize();
        var cas = await Registry.GetTenantCasAsync(tenant, cancellationToken).ConfigureAwait(false);
        var active = cas.FirstOrDefault(c => c.Status == TenantCaStatus.Active);
        var secrets = keys.LoadSecrets(tenant);
        using (var key = TenantCaKeyIn(secrets))
        {
            if (key is not null)
            {
                var certificate = FindCertificateFor(tenant, key);
                using (certificate)
                {
                    var serial = certificate is null ? null : CertificateProfiles.SerialOf(certificate);
                    if (active is not null && serial == active.Serial)
                    {
                        if (!rotate)
                            return new TenantCaOutcome(active, false, false, null);
                    }
                    else if (certificate is not null && cas.All(c => c.Serial != serial))
                    {
                        // An earlier run wrote the key and the certificate, then stopped before the registry recorded it.
                        var resumed = Record(tenant, certificate);
                        await Registry.AddActiveTenantCaAsync(resumed, active?.Serial, clock.GetUtcNow(), cancellationToken).ConfigureAwait(false);
                        return new TenantCaOutcome(resumed, true, true, active?.Serial);
                    }
                    else if (active is not null)
                    {
                        throw new PkiException($"the CA key in tenant {tenant}'s secrets file is not the key of its active CA {active.Serial}: "
                            + "the tenant's PKI files do not match the registry; restore them from backup, or run rotate-tenant-ca --param reason=emergency");
                    }
                }
            }
        }

        var now = clock.GetUtcNow();
        using var root = platform.Root();
        using var rootKey = platform.RootKey();
        using var caKey = CertificateProfiles.NewP256();
        using var created = CertificateProfiles.CreateIntermediate(CertificateProfiles.TenantCaName(tenant), caKey,
            NameConstraints.ForTenant(tenant), root, rootKey, now, Settings.TenantCaLifetimeDays);
        var record = Record(tenant, created);
        // Order: the public certificate first (harmless alone), then the key into the secrets file (from here a re-run resumes),
        // then the registry. The previous CA's key is replaced: a retiring CA only needs to be trusted, never to sign again.
        AtomicFile.CreatePrivateFolder(Path.GetDirectoryName(Files.TenantFolder(tenant))!);
        AtomicFile.CreatePrivateFolder(Files.TenantFolder(tenant));
        PemFiles.WriteCertificate(Files.TenantCaCertificate(tenant, record.Serial), created);
        var der = caKey.ExportPkcs8PrivateKey();
        try
        {
            await keys.ReplaceSecrets(tenant, secrets.With(TenantCaKeyName, Convert.ToBase64String(der))).ApplyAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(der);
        }
        await Registry.AddActiveTenantCaAsync(record, active?.Serial, now, cancellationToken).ConfigureAwait(false);
        return new TenantCaOutcome(record, true, false, active?.Serial);
    }

    /// <summary>
    /// Revokes every CA of the tenant that is not revoked yet (<paramref name="onlySerial"/>: just that one), then
    /// publishes the root's CRL. Returns the serials revoked now (empty when there was nothing left to revoke).
    /// </summary>
    public async Task<IReadOnlyList<string>> RevokeTenantCasAsync(TenantId tenant, string reason, string? onlySerial, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tenant);
        if (!RevocationReasons.Known.Contains(reason))
            throw new ArgumentException($"unknown revocation reason: use one of {string.Join(", ", RevocationReasons.Known)}", nameof(reason));
        var revoked = new List<string>();
        var now = clock.GetUtcNow();
        foreach (var ca in await Registry.GetTenantCasAsync(tenant, cancellationToken).ConfigureAwait(false))
        {
            if (ca.Status == TenantCaStatus.Revoked || (onlySerial is not null && ca.Serial != onlySerial))
                continue;
            if (await Registry.RevokeTenantCaAsync(tenant, ca.Serial, now, reason, cancellationToken).ConfigureAwait(false))
                revoked.Add(ca.Serial);
        }
        if (platform.IsInitialized)
            await PublishCrlAsync(cancellationToken).ConfigureAwait(false);
        return revoked;
    }

    /// <summary>The tenant's retiring CAs whose overlap (<see cref="PkiSettings.OverlapDays"/>, or <paramref name="overlap"/>) has ended.</summary>
    public async Task<IReadOnlyList<TenantCaRecord>> RetiringPastOverlapAsync(TenantId tenant, TimeSpan overlap, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        return (await Registry.GetTenantCasAsync(tenant, cancellationToken).ConfigureAwait(false))
            .Where(c => c.Status == TenantCaStatus.Retiring && c.RetiringSince is { } since && since + overlap <= now)
            .ToList();
    }

    /// <summary>
    /// Writes the root's CRL (every revoked tenant CA, with its reason; next update in 7 days) to
    /// <see cref="PkiFiles.RootCrl"/> atomically and returns it. Under the platform PKI lock, so two publishers never
    /// interleave (the registry is read inside it: the later CRL holds every revocation); its number is the time in
    /// milliseconds, or one more than the published CRL's when that is higher (a clock that went back), so it only grows.
    /// </summary>
    public async Task<byte[]> PublishCrlAsync(CancellationToken cancellationToken)
    {
        using var publishing = platform.AcquireLock();
        var revoked = await Registry.ListTenantCasAsync([TenantCaStatus.Revoked], cancellationToken).ConfigureAwait(false);
        var builder = new CertificateRevocationListBuilder();
        foreach (var ca in revoked)
            builder.AddEntry(Convert.FromHexString(ca.Serial), ca.RevokedAt!.Value, RevocationReasons.ToX509(ca.Reason));
        var now = clock.GetUtcNow();
        using var root = platform.Root();
        using var rootKey = platform.RootKey();
        using var signer = root.CopyWithPrivateKey(rootKey);
        var number = BigInteger.Max(new BigInteger(now.ToUnixTimeMilliseconds()), PublishedCrlNumber(root) + 1);
        var crl = builder.Build(signer, number, now.AddDays(7), HashAlgorithmName.SHA384, thisUpdate: now);
        AtomicFile.WriteText(Files.RootCrl, PemEncoding.WriteString("X509 CRL", crl) + "\n", AtomicFile.PublicFile);
        return crl;
    }

    /// <summary>The number of the CRL on disk (0 when there is none, or it is not the root's).</summary>
    internal BigInteger PublishedCrlNumber(X509Certificate2 root)
    {
        if (!File.Exists(Files.RootCrl))
            return BigInteger.Zero;
        var contents = CrlContents.ReadPem(File.ReadAllText(Files.RootCrl), root);
        return contents.SignatureValid ? contents.Number : BigInteger.Zero;
    }

    // ------------------------------------------------------------------ issuing

    /// <summary>
    /// A component certificate from the tenant's active CA: subject O=serviceradar, OU=tenant, CN and SAN DNS <c>component.partition.tenant.serviceradar</c>,
    /// clientAuth (+ serverAuth when it <paramref name="serves"/>), <paramref name="lifetime"/> or Pki:ComponentLifetimeDays.
    /// Recorded in the registry by serial. Chain: the tenant CA.
    /// </summary>
    public async Task<IssuedCertificate> IssueComponentCertificateAsync(TenantId tenant, string component, string partition, bool serves, TimeSpan? lifetime,
        CancellationToken cancellationToken)
    {
        var identity = ComponentIdentity.Create(component, partition, tenant);
        var days = LifetimeDays(lifetime, Settings.ComponentLifetimeDays);
        using var ca = await LoadActiveTenantCaAsync(tenant, cancellationToken).ConfigureAwait(false);
        var issued = Issue([identity.DnsName], [], serves, ca.Certificate, ca.Key, days, tenant);
        await RecordAsync(issued, tenant, ca.Record.Serial, identity.DnsName, KindComponent, cancellationToken).ConfigureAwait(false);
        return new IssuedCertificate(issued, [X509CertificateLoader.LoadCertificate(ca.Certificate.RawData)]);
    }

    /// <summary>The server certificate (e.g. NATS), signed by the root: SAN DNS and IP as given, serverAuth and clientAuth. Chain: empty.</summary>
    public async Task<IssuedCertificate> IssueServerCertificateAsync(IReadOnlyList<string> dnsNames, IReadOnlyList<IPAddress> addresses, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(dnsNames);
        ArgumentNullException.ThrowIfNull(addresses);
        if (dnsNames.Count == 0 || dnsNames.Any(d => !IsPlainDnsName(d)))
            throw new ArgumentException("a server certificate needs at least one DNS name of a-z, 0-9, '-' and '.'", nameof(dnsNames));
        using var root = platform.Root();
        using var rootKey = platform.RootKey();
        var issued = Issue(dnsNames, addresses, serves: true, root, rootKey, Settings.ServerLifetimeDays);
        await RecordAsync(issued, null, CertificateProfiles.SerialOf(root), dnsNames[0], KindServer, cancellationToken).ConfigureAwait(false);
        return new IssuedCertificate(issued, []);
    }

    /// <summary>
    /// The platform-admin certificate (<see cref="ComponentIdentity.PlatformAdmin"/>), from the platform-admin CA, clientAuth
    /// only, Pki:AdminLifetimeDays. It may cross tenants (task 6.5): the caller records its use in evidence. Chain: the admin CA.
    /// </summary>
    public async Task<IssuedCertificate> IssuePlatformAdminCertificateAsync(CancellationToken cancellationToken)
    {
        using var adminCa = platform.AdminCa();
        using var adminKey = platform.AdminCaKey();
        var issued = Issue([ComponentIdentity.PlatformAdmin], [], serves: false, adminCa, adminKey, Settings.AdminLifetimeDays);
        await RecordAsync(issued, null, CertificateProfiles.SerialOf(adminCa), ComponentIdentity.PlatformAdmin, KindPlatformAdmin, cancellationToken).ConfigureAwait(false);
        return new IssuedCertificate(issued, [X509CertificateLoader.LoadCertificate(adminCa.RawData)]);
    }

    // ------------------------------------------------------------------ internals

    /// <summary>The active CA of the tenant, checked three ways: the registry has it, the file's fingerprint matches, the secrets hold its key.</summary>
    internal async Task<TenantCaKey> LoadActiveTenantCaAsync(TenantId tenant, CancellationToken cancellationToken)
    {
        var active = await Registry.GetActiveTenantCaAsync(tenant, cancellationToken).ConfigureAwait(false)
            ?? throw new PkiException($"tenant {tenant} has no active CA: run provision");
        var certificate = LoadTenantCaCertificate(active);
        var key = TenantCaKeyIn(keys.LoadSecrets(tenant));
        if (key is null || !PemFiles.IsKeyOf(key, certificate))
        {
            key?.Dispose();
            certificate.Dispose();
            throw new PkiException($"tenant {tenant}'s secrets file does not hold the key of its active CA {active.Serial}: run rotate-tenant-ca to complete an unfinished rotation");
        }
        return new TenantCaKey(active, certificate, key);
    }

    internal X509Certificate2 LoadTenantCaCertificate(TenantCaRecord ca)
    {
        var path = Files.TenantCaCertificate(ca.Tenant, ca.Serial);
        if (!File.Exists(path))
            throw new PkiException($"the certificate of tenant {ca.Tenant}'s CA {ca.Serial} is missing ({Files.Relative(path)})");
        var certificate = PemFiles.ReadCertificate(path);
        if (CertificateProfiles.FingerprintOf(certificate) != ca.Fingerprint)
        {
            certificate.Dispose();
            throw new PkiException($"{Files.Relative(path)} is not the certificate the registry recorded for tenant {ca.Tenant}'s CA {ca.Serial} (SHA-256 differs)");
        }
        return certificate;
    }

    internal static ECDsa? TenantCaKeyIn(TenantSecrets secrets)
    {
        var value = secrets.Values.FirstOrDefault(v => v.Key == TenantCaKeyName).Value;
        if (string.IsNullOrEmpty(value))
            return null;
        var der = Convert.FromBase64String(value);
        return PemFiles.ImportPrivateKeyAndZero(der);
    }

    /// <summary>The certificate in the tenant's pki folder whose public key is <paramref name="key"/>'s, or null.</summary>
    private X509Certificate2? FindCertificateFor(TenantId tenant, ECDsa key)
    {
        var folder = Files.TenantFolder(tenant);
        if (!Directory.Exists(folder))
            return null;
        foreach (var path in Directory.EnumerateFiles(folder, "ca-*.pem"))
        {
            var certificate = PemFiles.ReadCertificate(path);
            if (PemFiles.IsKeyOf(key, certificate))
                return certificate;
            certificate.Dispose();
        }
        return null;
    }

    private TenantCaRecord Record(TenantId tenant, X509Certificate2 certificate) => new(
        CertificateProfiles.SerialOf(certificate), tenant, CertificateProfiles.FingerprintOf(certificate),
        new DateTimeOffset(certificate.NotBefore.ToUniversalTime()), new DateTimeOffset(certificate.NotAfter.ToUniversalTime()),
        TenantCaStatus.Active, clock.GetUtcNow());

    private X509Certificate2 Issue(IReadOnlyList<string> dnsNames, IReadOnlyList<IPAddress> addresses, bool serves, X509Certificate2 issuer, ECDsa issuerKey, int days,
        TenantId? tenant = null)
    {
        using var key = CertificateProfiles.NewP256();
        using var certificate = CertificateProfiles.CreateLeaf(dnsNames, addresses, clientAuth: true, serves, key, issuer, issuerKey, clock.GetUtcNow(), days, tenant);
        return certificate.CopyWithPrivateKey(key);
    }

    private Task RecordAsync(X509Certificate2 issued, TenantId? tenant, string caSerial, string identity, string kind, CancellationToken cancellationToken) =>
        Registry.RecordIssuedCertificateAsync(new IssuedCertificateRecord(CertificateProfiles.SerialOf(issued), tenant, caSerial, identity, kind,
            new DateTimeOffset(issued.NotAfter.ToUniversalTime()), clock.GetUtcNow()), cancellationToken);

    private static int LifetimeDays(TimeSpan? lifetime, int configured)
    {
        if (lifetime is not { } requested)
            return configured;
        if (requested < TimeSpan.FromHours(1) || requested > TimeSpan.FromDays(825))
            throw new ArgumentOutOfRangeException(nameof(lifetime), "a certificate lifetime is between 1 hour and 825 days");
        return Math.Max(1, (int)Math.Ceiling(requested.TotalDays));
    }

    private static bool IsPlainDnsName(string name) =>
        name.Length is > 0 and <= ComponentIdentity.MaxNameLength && name.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-' or '.')
        && !name.StartsWith('.') && !name.EndsWith('.') && !name.Contains("..", StringComparison.Ordinal);
}

/// <summary>Why a tenant CA was revoked, as the registry records it, and the CRL reason code each maps to.</summary>
public static class RevocationReasons
{
    /// <summary>rotate-tenant-ca --param reason=emergency: the key may be compromised.</summary>
    public const string Emergency = "emergency";
    /// <summary>A retiring CA whose overlap has ended: replaced by the new one.</summary>
    public const string Superseded = "superseded";
    /// <summary>The tenant was deprovisioned.</summary>
    public const string Deprovisioned = "deprovisioned";
    /// <summary>A provision that failed undid the CA it had created.</summary>
    public const string RolledBack = "rolled-back";

    public static readonly IReadOnlyList<string> Known = [Emergency, Superseded, Deprovisioned, RolledBack];

    public static X509RevocationReason ToX509(string? reason) => reason switch
    {
        Emergency => X509RevocationReason.CACompromise,
        Superseded => X509RevocationReason.Superseded,
        _ => X509RevocationReason.CessationOfOperation,
    };
}
