using RunbookHost.Tenants;

namespace RunbookHost.Pki;

/// <summary>
/// Where the PKI lives under <c>Paths.Secrets</c> (docs/pki.md). Platform: <c>platform/key.age</c> (the platform age
/// key, 0600) and <c>platform/pki/</c>: the root and platform-admin CA certificates (public) beside their private keys,
/// age-encrypted to the platform key (0600), and the root's CRL. Tenant: <c>tenants/&lt;id&gt;/pki/ca-&lt;serial&gt;.pem</c>
/// (public; the CA key is a value of the tenant's SOPS secrets file) and <c>tenants/&lt;id&gt;/onboarding/</c>.
/// </summary>
public sealed class PkiFiles
{
    public PkiFiles(string secretsRoot)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(secretsRoot);
        SecretsRoot = Path.GetFullPath(secretsRoot);
        PlatformFolder = Path.Combine(SecretsRoot, "platform");
        PlatformKey = Path.Combine(PlatformFolder, "key.age");
        Folder = Path.Combine(PlatformFolder, "pki");
    }

    public string SecretsRoot { get; }
    /// <summary><c>platform/</c> (0700).</summary>
    public string PlatformFolder { get; }
    /// <summary>The platform age key (age-keygen format, 0600): decrypts the root and platform-admin CA keys.</summary>
    public string PlatformKey { get; }
    /// <summary><c>platform/pki/</c> (0700).</summary>
    public string Folder { get; }
    public string RootCertificate => Path.Combine(Folder, "root-ca.pem");
    public string RootKey => Path.Combine(Folder, "root-ca.key.age");
    public string AdminCaCertificate => Path.Combine(Folder, "platform-admin-ca.pem");
    public string AdminCaKey => Path.Combine(Folder, "platform-admin-ca.key.age");
    /// <summary>The root's CRL (PEM): every revoked tenant CA.</summary>
    public string RootCrl => Path.Combine(Folder, "root-ca.crl.pem");
    public string Lock => Path.Combine(SecretsRoot, "locks", "platform-pki.lock");

    /// <summary><c>tenants/&lt;id&gt;/pki</c> (0700).</summary>
    public string TenantFolder(TenantId tenant) => Path.Combine(SecretsRoot, "tenants", tenant.Value, "pki");

    public string TenantCaCertificate(TenantId tenant, string serial) => Path.Combine(TenantFolder(tenant), $"ca-{serial}.pem");

    /// <summary><c>tenants/&lt;id&gt;/onboarding</c> (0700): one folder per component package.</summary>
    public string OnboardingFolder(TenantId tenant) => Path.Combine(SecretsRoot, "tenants", tenant.Value, "onboarding");

    /// <summary>A path relative to the secrets root, for descriptions and evidence.</summary>
    public string Relative(string path) => Path.GetRelativePath(SecretsRoot, path);
}
