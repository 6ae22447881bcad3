using System.Security.Cryptography;
using System.Text;
using RunbookHost.IO;

namespace RunbookHost.Evidence;

/// <summary>
/// The evidence signing key: ECDSA P-256, PKCS#8 PEM at `&lt;secrets&gt;/evidence-signing-key.pem` (mode 0600),
/// created on first use; its public half (SPKI PEM) is published at `&lt;evidence&gt;/signing-key.pub.pem`.
/// </summary>
public sealed class EvidenceSigner : IDisposable
{
    private const string P256Oid = "1.2.840.10045.3.1.7";
    private const UnixFileMode GroupOrOther =
        UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute |
        UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    private readonly ECDsa _key;

    private EvidenceSigner(ECDsa key, string privateKeyPath, string publicKeyPath)
    {
        _key = key;
        PrivateKeyPath = privateKeyPath;
        PublicKeyPath = publicKeyPath;
        PublicKeyPem = key.ExportSubjectPublicKeyInfoPem();
        KeyId = ComputeKeyId(key);
    }

    /// <summary>Lowercase hex SHA-256 of the public key's SubjectPublicKeyInfo DER.</summary>
    public string KeyId { get; }

    public string PublicKeyPem { get; }

    public string PrivateKeyPath { get; }

    public string PublicKeyPath { get; }

    /// <summary>
    /// Loads the signing key, creating it if missing. Safe when several processes start at once:
    /// each writes a complete candidate key to a private temporary file and links it into place
    /// without replacing an existing file; the losers discard theirs and read the winner's.
    /// Refuses a key file readable or writable by group/others, and a published public key that
    /// belongs to a different key.
    /// </summary>
    public static EvidenceSigner LoadOrCreate(string secretsRoot, string evidenceRoot)
    {
        ArgumentException.ThrowIfNullOrEmpty(secretsRoot);
        ArgumentException.ThrowIfNullOrEmpty(evidenceRoot);
        if (!Directory.Exists(secretsRoot))
            AtomicFile.CreatePrivateFolder(secretsRoot);
        var privateKeyPath = Path.Combine(secretsRoot, EvidenceFormat.PrivateKeyFileName);
        if (!File.Exists(privateKeyPath))
            CreateKey(privateKeyPath);

        var key = LoadPrivateKey(privateKeyPath);
        try
        {
            Directory.CreateDirectory(evidenceRoot);
            var publicKeyPath = Path.Combine(evidenceRoot, EvidenceFormat.PublicKeyFileName);
            var signer = new EvidenceSigner(key, privateKeyPath, publicKeyPath);
            signer.PublishPublicKey();
            return signer;
        }
        catch
        {
            key.Dispose();
            throw;
        }
    }

    /// <summary>DER (RFC 3279) ECDSA P-256 signature over SHA-256 of <paramref name="data"/> (the DSSE PAE).</summary>
    public byte[] Sign(ReadOnlySpan<byte> data) =>
        _key.SignData(data, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);

    /// <summary>Lowercase hex SHA-256 of the key's SubjectPublicKeyInfo DER.</summary>
    public static string ComputeKeyId(ECDsa key) =>
        EvidenceFormat.Sha256Hex(key.ExportSubjectPublicKeyInfo());

    /// <summary>Reads an SPKI PEM ("PUBLIC KEY") P-256 public key. Throws <see cref="CryptographicException"/> otherwise.</summary>
    public static ECDsa LoadPublicKey(string publicKeyPemPath)
    {
        var pem = File.ReadAllText(publicKeyPemPath);
        if (!PemEncoding.TryFind(pem, out var fields) || pem[fields.Label] is not "PUBLIC KEY")
            throw new CryptographicException($"{publicKeyPemPath} is not a PEM public key (-----BEGIN PUBLIC KEY-----)");
        var key = ECDsa.Create();
        try
        {
            key.ImportSubjectPublicKeyInfo(Convert.FromBase64String(pem[fields.Base64Data]), out _);
            RequireP256(key, publicKeyPemPath);
            return key;
        }
        catch
        {
            key.Dispose();
            throw;
        }
    }

    public void Dispose() => _key.Dispose();

    private static void CreateKey(string privateKeyPath)
    {
        using var fresh = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var der = fresh.ExportPkcs8PrivateKey();
        var pem = PemEncoding.Write("PRIVATE KEY", der);
        var bytes = new byte[Encoding.ASCII.GetByteCount(pem) + 1];
        try
        {
            Encoding.ASCII.GetBytes(pem, bytes);
            bytes[^1] = (byte)'\n';
            CreateOnlyFile.TryCreate(privateKeyPath, bytes, AtomicFile.PrivateFile);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(der);
            CryptographicOperations.ZeroMemory(bytes);
            Array.Clear(pem);
        }
    }

    private static ECDsa LoadPrivateKey(string privateKeyPath)
    {
        if (!OperatingSystem.IsWindows() && (File.GetUnixFileMode(privateKeyPath) & GroupOrOther) != 0)
            throw new CryptographicException(
                $"{privateKeyPath} is accessible by group or others; it must be mode 0600 (chmod 600)");
        var pem = File.ReadAllText(privateKeyPath);
        if (!PemEncoding.TryFind(pem, out var fields) || pem[fields.Label] is not "PRIVATE KEY")
            throw new CryptographicException($"{privateKeyPath} is not a PKCS#8 PEM private key (-----BEGIN PRIVATE KEY-----)");
        var key = ECDsa.Create();
        var der = Convert.FromBase64String(pem[fields.Base64Data]);
        try
        {
            key.ImportPkcs8PrivateKey(der, out _);
            RequireP256(key, privateKeyPath);
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

    private static void RequireP256(ECDsa key, string path)
    {
        var curve = key.ExportParameters(includePrivateParameters: false).Curve;
        if (key.KeySize != 256 || !curve.IsNamed || curve.Oid.Value != P256Oid)
            throw new CryptographicException($"{path} is not an ECDSA P-256 key");
    }

    /// <summary>Writes the public key if absent; if present it must be this key's, or signing would produce unverifiable evidence.</summary>
    private void PublishPublicKey()
    {
        if (!File.Exists(PublicKeyPath))
            CreateOnlyFile.TryCreate(PublicKeyPath, Encoding.ASCII.GetBytes(PublicKeyPem + "\n"), AtomicFile.PublicFile);
        string publishedKeyId;
        try
        {
            using var published = LoadPublicKey(PublicKeyPath);
            publishedKeyId = ComputeKeyId(published);
        }
        catch (CryptographicException e)
        {
            throw new CryptographicException($"{PublicKeyPath} is not a usable public key: {e.Message}", e);
        }
        if (publishedKeyId != KeyId)
            throw new CryptographicException(
                $"{PublicKeyPath} holds key {publishedKeyId}, but the signing key {PrivateKeyPath} is {KeyId}; " +
                "refusing to sign evidence that would not verify against the published key");
    }
}
