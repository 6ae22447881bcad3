using System.Security.Cryptography;
using System.Text;
using RunbookHost.IO;

namespace RunbookHost.Evidence;

/// <summary>
/// Where the evidence signing keys live and how they are read. Private: `&lt;secrets&gt;/evidence-signing-key.pem`
/// (PKCS#8 PEM, 0600); retired public keys the host still recognises as its own: `&lt;secrets&gt;/evidence-retired-keys/`.
/// Public, for auditors: `&lt;evidence&gt;/signing-key.pub.pem` (the current key) and `&lt;evidence&gt;/_keys/&lt;key id&gt;.pub.pem`
/// (every key that ever signed). Files in the evidence tree are never trusted for what they are: a key id
/// pinned elsewhere is what makes a public key trusted.
/// </summary>
public static class EvidenceKeyFiles
{
    private const string P256Oid = "1.2.840.10045.3.1.7";
    private const UnixFileMode GroupOrOther =
        UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute |
        UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    public static string PrivateKeyPath(string secretsRoot) => Path.Combine(secretsRoot, EvidenceFormat.PrivateKeyFileName);

    /// <summary>Public keys the host signed with before a rotation (its own record; the evidence tree's copies are not trusted).</summary>
    public static string RetiredKeysFolder(string secretsRoot) => Path.Combine(secretsRoot, "evidence-retired-keys");

    public static string PublishedKeyPath(string evidenceRoot, string keyId) =>
        Path.Combine(evidenceRoot, EvidenceFormat.KeysFolder, keyId + ".pub.pem");

    /// <summary>Lowercase hex SHA-256 of the key's SubjectPublicKeyInfo DER.</summary>
    public static string ComputeKeyId(ECDsa key) => EvidenceFormat.Sha256Hex(key.ExportSubjectPublicKeyInfo());

    /// <summary>Reads an SPKI PEM ("PUBLIC KEY") P-256 public key file. Throws <see cref="CryptographicException"/> otherwise.</summary>
    public static ECDsa LoadPublicKey(string publicKeyPemPath) => ParsePublicKey(File.ReadAllText(publicKeyPemPath), publicKeyPemPath);

    /// <summary>Parses SPKI PEM text; <paramref name="what"/> names its origin in errors.</summary>
    public static ECDsa ParsePublicKey(string pem, string what)
    {
        if (!PemEncoding.TryFind(pem, out var fields) || pem[fields.Label] is not "PUBLIC KEY")
            throw new CryptographicException($"{what} is not a PEM public key (-----BEGIN PUBLIC KEY-----)");
        var key = ECDsa.Create();
        try
        {
            key.ImportSubjectPublicKeyInfo(Convert.FromBase64String(pem[fields.Base64Data]), out _);
            RequireP256(key, what);
            return key;
        }
        catch
        {
            key.Dispose();
            throw;
        }
    }

    public static string PublicKeyPem(ECDsa key) => key.ExportSubjectPublicKeyInfoPem() + "\n";

    /// <summary>Creates a new P-256 key at <paramref name="path"/> (mode 0600) unless a file is there; never replaces one.</summary>
    internal static void CreatePrivateKey(string path)
    {
        using var fresh = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        WritePrivateKey(path, fresh, replace: false);
    }

    /// <summary>Writes <paramref name="key"/> as PKCS#8 PEM, mode 0600: create-only, or atomically replacing the file.</summary>
    internal static void WritePrivateKey(string path, ECDsa key, bool replace)
    {
        var der = key.ExportPkcs8PrivateKey();
        var pem = PemEncoding.Write("PRIVATE KEY", der);
        var bytes = new byte[Encoding.ASCII.GetByteCount(pem) + 1];
        try
        {
            Encoding.ASCII.GetBytes(pem, bytes);
            bytes[^1] = (byte)'\n';
            if (replace)
                AtomicFile.Write(path, bytes, AtomicFile.PrivateFile);
            else
                CreateOnlyFile.TryCreate(path, bytes, AtomicFile.PrivateFile);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(der);
            CryptographicOperations.ZeroMemory(bytes);
            Array.Clear(pem);
        }
    }

    /// <summary>Loads a PKCS#8 PEM P-256 private key; refuses a file group or others can access.</summary>
    internal static ECDsa LoadPrivateKey(string path)
    {
        if (!OperatingSystem.IsWindows() && (File.GetUnixFileMode(path) & GroupOrOther) != 0)
            throw new CryptographicException($"{path} is accessible by group or others; it must be mode 0600 (chmod 600)");
        var pem = File.ReadAllText(path);
        if (!PemEncoding.TryFind(pem, out var fields) || pem[fields.Label] is not "PRIVATE KEY")
            throw new CryptographicException($"{path} is not a PKCS#8 PEM private key (-----BEGIN PRIVATE KEY-----)");
        var key = ECDsa.Create();
        var der = Convert.FromBase64String(pem[fields.Base64Data]);
        try
        {
            key.ImportPkcs8PrivateKey(der, out _);
            RequireP256(key, path);
            return key;
        }
        catch
        {
            key.Dispose();
            throw;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(der);
        }
    }

    /// <summary>Writes a public key file unless one is there; an existing file must hold the same key.</summary>
    internal static void PublishPublicKey(string path, string keyId, string pem)
    {
        if (!File.Exists(path))
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
            CreateOnlyFile.TryCreate(path, Encoding.ASCII.GetBytes(pem), AtomicFile.PublicFile);
        }
        string publishedKeyId;
        try
        {
            using var published = LoadPublicKey(path);
            publishedKeyId = ComputeKeyId(published);
        }
        catch (CryptographicException e)
        {
            throw new CryptographicException($"{path} is not a usable public key: {e.Message}", e);
        }
        if (publishedKeyId != keyId)
            throw new CryptographicException(
                $"{path} holds key {publishedKeyId}, but the signing key is {keyId}; " +
                "refusing to sign evidence that would not verify against the published key");
    }

    private static void RequireP256(ECDsa key, string what)
    {
        var curve = key.ExportParameters(includePrivateParameters: false).Curve;
        if (key.KeySize != 256 || !curve.IsNamed || curve.Oid.Value != P256Oid)
            throw new CryptographicException($"{what} is not an ECDSA P-256 key");
    }
}
