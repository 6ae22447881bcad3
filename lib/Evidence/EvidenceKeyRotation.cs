using System.Security.Cryptography;
using RunbookHost.IO;

namespace RunbookHost.Evidence;

/// <summary>What a signing-key rotation did (for the registry, the audit event and the operator).</summary>
public sealed record EvidenceKeyRotated(string PreviousKeyId, string PreviousPublicKeyPem, string NextKeyId, string NextPublicKeyPem,
    DateTimeOffset RotatedAt, string StatementPath);

/// <summary>
/// Replaces the evidence signing key, crash-safely. The old private key is kept aside (`evidence-signing-key.retiring.pem`)
/// until the rotation is complete; its public half stays in the secrets folder so the host still recognises chain heads it
/// signed. The new key becomes current first and the retirement time is taken after that, so every file the old key signed
/// finished before its retirement. The old key then signs a statement endorsing the new one (`_keys/&lt;old id&gt;.rotation.json`).
/// Running it again after a crash finishes the interrupted rotation instead of starting another.
/// </summary>
public static class EvidenceKeyRotation
{
    private const string RetiringFileName = "evidence-signing-key.retiring.pem";

    /// <summary>Rotates (or finishes an interrupted rotation). Call <see cref="Complete"/> once the rotation is recorded elsewhere (registry).</summary>
    public static EvidenceKeyRotated Rotate(string secretsRoot, string evidenceRoot, TimeProvider time, string reason, string operatorName)
    {
        var current = EvidenceKeyFiles.PrivateKeyPath(secretsRoot);
        var retiring = Path.Combine(secretsRoot, RetiringFileName);
        if (!File.Exists(retiring))
        {
            using (EvidenceSigner.LoadOrCreate(secretsRoot, evidenceRoot))
            {
                // creates the key on first use, refuses a key file others can read or a published key of another key
            }
        }
        // One rotation at a time (the secrets folder is 0700: nobody else can plant this file).
        using var rotationLock = new FileStream(Path.Combine(secretsRoot, "evidence-signing-key.rotation.lock"),
            FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        if (!File.Exists(retiring))
        {
            using var old = EvidenceKeyFiles.LoadPrivateKey(current);
            EvidenceKeyFiles.WritePrivateKey(retiring, old, replace: false);
            var retiredFolder = EvidenceKeyFiles.RetiredKeysFolder(secretsRoot);
            AtomicFile.CreatePrivateFolder(retiredFolder);
            AtomicFile.WriteText(Path.Combine(retiredFolder, EvidenceKeyFiles.ComputeKeyId(old) + ".pub.pem"), EvidenceKeyFiles.PublicKeyPem(old));
            using var next = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            EvidenceKeyFiles.WritePrivateKey(current, next, replace: true);
        }

        using var previous = EvidenceKeyFiles.LoadPrivateKey(retiring);
        using var nextKey = EvidenceKeyFiles.LoadPrivateKey(current);
        var (previousId, nextId) = (EvidenceKeyFiles.ComputeKeyId(previous), EvidenceKeyFiles.ComputeKeyId(nextKey));
        if (previousId == nextId)
            throw new CryptographicException($"{retiring} holds the current key; remove it and rotate again");
        var statementPath = KeyRotationStatement.PathFor(evidenceRoot, previousId);
        var nextPem = EvidenceKeyFiles.PublicKeyPem(nextKey);
        var statement = ReadStatement(statementPath, previous, previousId, nextId);
        if (statement is null)
        {
            statement = new KeyRotationStatement(previousId, nextId, nextPem, time.GetUtcNow(), reason, operatorName);
            using var oldSigner = EvidenceSigner.FromKey(previous, secretsRoot, evidenceRoot);
            Directory.CreateDirectory(Path.GetDirectoryName(statementPath)!);
            CreateOnlyFile.TryCreate(statementPath, statement.Sign(oldSigner), AtomicFile.PublicFile);
        }
        AtomicFile.WriteText(Path.Combine(evidenceRoot, EvidenceFormat.PublicKeyFileName), nextPem);
        EvidenceKeyFiles.PublishPublicKey(EvidenceKeyFiles.PublishedKeyPath(evidenceRoot, nextId), nextId, nextPem);
        return new EvidenceKeyRotated(previousId, EvidenceKeyFiles.PublicKeyPem(previous), nextId, nextPem, statement.RotatedAt, statementPath);
    }

    /// <summary>Destroys the retired private key: from now on nothing can sign with it.</summary>
    public static void Complete(string secretsRoot)
    {
        var retiring = Path.Combine(secretsRoot, RetiringFileName);
        if (File.Exists(retiring))
        {
            File.Delete(retiring);
            AtomicFile.SyncFolder(secretsRoot);
        }
    }

    /// <summary>The statement an interrupted rotation already wrote, or null; one naming another successor stops the rotation.</summary>
    private static KeyRotationStatement? ReadStatement(string path, ECDsa previous, string previousId, string nextId)
    {
        if (!File.Exists(path))
            return null;
        var envelope = DsseEnvelope.Parse(File.ReadAllBytes(path), out var problem)
            ?? throw new CryptographicException($"{path}: {problem}; move it away and rotate again");
        var statement = envelope.KeyId == previousId
            && previous.VerifyData(envelope.Pae(), envelope.Signature, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence)
            ? KeyRotationStatement.Parse(envelope.Payload, previousId, out problem)
            : null;
        if (statement is null || statement.NextKey != nextId)
            throw new CryptographicException($"{path} already retires key {previousId} in favour of another key; the evidence tree was changed");
        return statement;
    }
}
