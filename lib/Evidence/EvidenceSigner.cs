using System.Security.Cryptography;
using RunbookHost.IO;

namespace RunbookHost.Evidence;

/// <summary>
/// The evidence signing key: ECDSA P-256, PKCS#8 PEM at `&lt;secrets&gt;/evidence-signing-key.pem` (mode 0600),
/// created on first use; its public half (SPKI PEM) is published at `&lt;evidence&gt;/signing-key.pub.pem` and
/// `&lt;evidence&gt;/_keys/&lt;key id&gt;.pub.pem`. Signatures are low-S only (<see cref="EcdsaLowS"/>).
/// </summary>
public sealed class EvidenceSigner : IDisposable
{
    private readonly ECDsa _key;
    private readonly string _secretsRoot;

    private EvidenceSigner(ECDsa key, string secretsRoot, string publicKeyPath)
    {
        _key = key;
        _secretsRoot = secretsRoot;
        PrivateKeyPath = EvidenceKeyFiles.PrivateKeyPath(secretsRoot);
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
        using var timing = RunbookHost.Diagnostics.TimingTrace.Measure("evidence: load signing key");
        ArgumentException.ThrowIfNullOrEmpty(secretsRoot);
        ArgumentException.ThrowIfNullOrEmpty(evidenceRoot);
        if (!Directory.Exists(secretsRoot))
            AtomicFile.CreatePrivateFolder(secretsRoot);
        var privateKeyPath = EvidenceKeyFiles.PrivateKeyPath(secretsRoot);
        if (!File.Exists(privateKeyPath))
            EvidenceKeyFiles.CreatePrivateKey(privateKeyPath);

        var key = EvidenceKeyFiles.LoadPrivateKey(privateKeyPath);
        try
        {
            Directory.CreateDirectory(evidenceRoot);
            var signer = new EvidenceSigner(key, secretsRoot, Path.Combine(evidenceRoot, EvidenceFormat.PublicKeyFileName));
            var pem = signer.PublicKeyPem + "\n";
            EvidenceKeyFiles.PublishPublicKey(signer.PublicKeyPath, signer.KeyId, pem);
            EvidenceKeyFiles.PublishPublicKey(EvidenceKeyFiles.PublishedKeyPath(evidenceRoot, signer.KeyId), signer.KeyId, pem);
            return signer;
        }
        catch
        {
            key.Dispose();
            throw;
        }
    }

    /// <summary>A signer over a key the caller keeps ownership of (the retiring key during a rotation); publishes nothing.</summary>
    internal static EvidenceSigner FromKey(ECDsa key, string secretsRoot, string evidenceRoot)
    {
        var parameters = key.ExportParameters(includePrivateParameters: true);
        try
        {
            return new EvidenceSigner(ECDsa.Create(parameters), secretsRoot, Path.Combine(evidenceRoot, EvidenceFormat.PublicKeyFileName));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(parameters.D);
        }
    }

    /// <summary>Low-S DER (RFC 3279) ECDSA P-256 signature over SHA-256 of <paramref name="data"/> (the DSSE PAE).</summary>
    public byte[] Sign(ReadOnlySpan<byte> data)
    {
        using var timing = RunbookHost.Diagnostics.TimingTrace.Measure("evidence: ECDSA sign");
        return EcdsaLowS.Normalize(_key.SignData(data, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence));
    }

    /// <summary>A DSSE envelope (canonical bytes) around <paramref name="payload"/>, signed by this key.</summary>
    public byte[] SignEnvelope(string payloadType, ReadOnlySpan<byte> payload) =>
        EvidenceFormat.SerializeEnvelope(payloadType, payload, KeyId, Sign(DssePae.Encode(payloadType, payload)));

    /// <summary>
    /// Whether <paramref name="signature"/> over <paramref name="data"/> was made by this host's key
    /// <paramref name="keyId"/>: the current one, or one it retired (kept in the secrets folder, which only the host writes).
    /// </summary>
    public bool VerifiesOwn(string keyId, ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature)
    {
        if (EcdsaLowS.Problem(signature) is not null)
            return false;
        if (keyId == KeyId)
            return _key.VerifyData(data, signature, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
        if (!EvidenceFormat.IsSha256Hex(keyId))
            return false;
        var retired = Path.Combine(EvidenceKeyFiles.RetiredKeysFolder(_secretsRoot), keyId + ".pub.pem");
        if (!File.Exists(retired))
            return false;
        using var key = EvidenceKeyFiles.LoadPublicKey(retired);
        return ComputeKeyId(key) == keyId
            && key.VerifyData(data, signature, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
    }

    /// <summary>This host's keys as trust pins: the current one and each it retired (from the secrets folder).</summary>
    public IReadOnlyList<PinnedKey> OwnKeys()
    {
        var keys = new List<PinnedKey> { new("this host's signing key", KeyId, PublicKeyPem) };
        var retired = EvidenceKeyFiles.RetiredKeysFolder(_secretsRoot);
        if (Directory.Exists(retired))
            keys.AddRange(Directory.EnumerateFiles(retired, "*.pub.pem").Order(StringComparer.Ordinal)
                .Select(path => new PinnedKey($"this host's retired key {Path.GetFileName(path)}", PublicKeyPem: File.ReadAllText(path))));
        return keys;
    }

    /// <summary>Lowercase hex SHA-256 of the key's SubjectPublicKeyInfo DER.</summary>
    public static string ComputeKeyId(ECDsa key) => EvidenceKeyFiles.ComputeKeyId(key);

    /// <summary>Reads an SPKI PEM ("PUBLIC KEY") P-256 public key. Throws <see cref="CryptographicException"/> otherwise.</summary>
    public static ECDsa LoadPublicKey(string publicKeyPemPath) => EvidenceKeyFiles.LoadPublicKey(publicKeyPemPath);

    public void Dispose() => _key.Dispose();
}
