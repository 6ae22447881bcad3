using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using RunbookHost.IO;
using RunbookHost.Keys.Age;
using RunbookHost.Keys.KeyRing;

namespace RunbookHost.Pki;

/// <summary>
/// The platform's two CAs: the root (P-384, pathLen 1) and the platform-admin CA under it (pathLen 0, constrained to
/// <see cref="ComponentIdentity.PlatformAdmin"/>). Created once (<c>runbook-host pki init</c>, or the first provision),
/// never replaced by this class: a second init finds them and does nothing. Their private keys exist on disk only
/// age-encrypted to the platform age key (<c>platform/key.age</c>, 0600), and in memory only while one signature is made.
/// </summary>
internal sealed class PlatformAuthority(PkiFiles files, PkiSettings settings, TimeProvider clock)
{
    private static readonly TimeSpan LockTimeout = TimeSpan.FromMinutes(2);

    public PkiFiles Files { get; } = files;

    public bool IsInitialized => File.Exists(Files.RootCertificate) && File.Exists(Files.RootKey);

    /// <summary>Creates whatever of the platform key, root and admin CA is missing; returns what it created (empty: all existed).</summary>
    public IReadOnlyList<string> Initialize()
    {
        using var _lock = AcquireLock();
        var created = new List<string>();
        AtomicFile.CreatePrivateFolder(Files.SecretsRoot);
        AtomicFile.CreatePrivateFolder(Files.PlatformFolder);
        AtomicFile.CreatePrivateFolder(Files.Folder);
        if (!File.Exists(Files.PlatformKey))
        {
            if (File.Exists(Files.RootKey) || File.Exists(Files.AdminCaKey))
                throw new PkiException($"{Files.Relative(Files.PlatformKey)} is missing but CA keys encrypted to it exist: restore it from backup (a new one could not decrypt them)");
            KeyFile.TryCreatePrivate(Files.PlatformKey, AgeKeyFile.Format(AgeX25519Identity.Generate(), clock.GetUtcNow()));
            created.Add(Files.Relative(Files.PlatformKey));
        }
        var now = clock.GetUtcNow();
        if (!File.Exists(Files.RootCertificate))
        {
            using var rootKey = LoadOrCreateKey(Files.RootKey, CertificateProfiles.NewP384, created);
            using var root = CertificateProfiles.CreateRoot(rootKey, now, settings.RootLifetimeDays);
            PemFiles.WriteCertificate(Files.RootCertificate, root);
            created.Add(Files.Relative(Files.RootCertificate));
        }
        if (!File.Exists(Files.AdminCaCertificate))
        {
            using var adminKey = LoadOrCreateKey(Files.AdminCaKey, CertificateProfiles.NewP256, created);
            using var root = Root();
            using var rootKey = RootKey();
            using var adminCa = CertificateProfiles.CreateIntermediate(CertificateProfiles.AdminCaName(), adminKey,
                NameConstraints.ForPlatformAdmin(), root, rootKey, now, settings.RootLifetimeDays);
            PemFiles.WriteCertificate(Files.AdminCaCertificate, adminCa);
            created.Add(Files.Relative(Files.AdminCaCertificate));
        }
        return created;
    }

    public X509Certificate2 Root() => IsInitialized
        ? PemFiles.ReadCertificate(Files.RootCertificate)
        : throw new PkiNotInitializedException();

    public X509Certificate2 AdminCa() => File.Exists(Files.AdminCaCertificate)
        ? PemFiles.ReadCertificate(Files.AdminCaCertificate)
        : throw new PkiNotInitializedException();

    public ECDsa RootKey() => DecryptKey(Files.RootKey, "root CA");

    public ECDsa AdminCaKey() => DecryptKey(Files.AdminCaKey, "platform-admin CA");

    /// <summary>The platform age key file is 0600 and decrypts the root key (which matches the root certificate): for verification.</summary>
    public (bool Holds, string Detail) ProveRootKeyProtected()
    {
        if (!IsInitialized)
            return (false, "the platform PKI is not initialized");
        if (FileStatus.Of(Files.PlatformKey, followLinks: false) is not { Kind: FileKind.Regular, AccessibleByOthers: false }
            || FileStatus.Of(Files.RootKey, followLinks: false) is not { Kind: FileKind.Regular, AccessibleByOthers: false })
            return (false, $"{Files.Relative(Files.PlatformKey)} or {Files.Relative(Files.RootKey)} is readable by group or others");
        var head = File.ReadAllBytes(Files.RootKey).AsSpan(0, 21);
        if (!head.SequenceEqual("age-encryption.org/v1"u8))
            return (false, $"{Files.Relative(Files.RootKey)} is not an age file");
        using var root = Root();
        using var key = RootKey();
        return PemFiles.IsKeyOf(key, root)
            ? (true, $"{Files.Relative(Files.RootKey)} (0600) is age-encrypted to the platform key and holds the root's key; no plain key file exists")
            : (false, $"{Files.Relative(Files.RootKey)} does not hold the key of {Files.Relative(Files.RootCertificate)}");
    }

    private ECDsa LoadOrCreateKey(string path, Func<ECDsa> generate, List<string> created)
    {
        if (File.Exists(path))
            return DecryptKey(path, Path.GetFileName(path));
        var key = generate();
        var der = key.ExportPkcs8PrivateKey();
        try
        {
            var recipient = KeyFile.ReadIdentity(Files.PlatformKey).Recipient;
            KeyFile.TryCreatePrivate(path, AgeFile.Encrypt(der, [recipient]));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(der);
        }
        created.Add(Files.Relative(path));
        return key;
    }

    private ECDsa DecryptKey(string path, string what)
    {
        if (!File.Exists(path) || !File.Exists(Files.PlatformKey))
            throw new PkiNotInitializedException();
        byte[] der;
        try
        {
            der = AgeFile.Decrypt(File.ReadAllBytes(path), [KeyFile.ReadIdentity(Files.PlatformKey)]);
        }
        catch (AgeException error)
        {
            throw new PkiException($"the {what} key does not decrypt with {Files.Relative(Files.PlatformKey)}: {error.Message}");
        }
        return PemFiles.ImportPrivateKeyAndZero(der);
    }

    /// <summary>The platform PKI lock (a flock in the secrets folder): init and CRL publishing hold it.</summary>
    internal ExclusiveLockFile AcquireLock()
    {
        AtomicFile.CreatePrivateFolder(Files.SecretsRoot);
        AtomicFile.CreatePrivateFolder(Path.GetDirectoryName(Files.Lock)!);
        return ExclusiveLockFile.Acquire(Files.Lock, "platform PKI lock file", LockTimeout, TimeSpan.FromMilliseconds(50), clock)
            ?? throw new PkiException("another process is initializing the platform PKI; try again when it finishes");
    }
}

/// <summary>The root CA does not exist yet.</summary>
public sealed class PkiNotInitializedException()
    : InvalidOperationException("the platform PKI is not initialized: run `runbook-host pki init` (or provision a tenant, which initializes it)");
