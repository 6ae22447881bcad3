namespace RunbookHost.Evidence;

/// <summary>
/// "Key <see cref="PreviousKey"/> is retired at <see cref="RotatedAt"/>; key <see cref="NextKey"/> signs from then on",
/// signed by the retiring key and kept at `_keys/&lt;previous key id&gt;.rotation.json`. An auditor pinned to the old key
/// follows it to the new one; files the old key signed after <see cref="RotatedAt"/> fail. The subject is the new public
/// key: its SHA-256 is the new key id.
/// </summary>
public sealed record KeyRotationStatement(string PreviousKey, string NextKey, string NextPublicKeyPem, DateTimeOffset RotatedAt, string Reason, string Operator)
{
    public static string PathFor(string evidenceRoot, string previousKeyId) =>
        Path.Combine(evidenceRoot, EvidenceFormat.KeysFolder, previousKeyId + ".rotation.json");

    /// <summary>The statement as a DSSE envelope signed by the retiring key.</summary>
    public byte[] Sign(EvidenceSigner retiring)
    {
        if (retiring.KeyId != PreviousKey)
            throw new ArgumentException("a rotation is signed by the key it retires", nameof(retiring));
        return retiring.SignEnvelope(EvidenceFormat.PayloadType, InTotoStatement.Write(
            [new EvidenceSubject($"evidence-signing-key/{NextKey}", NextKey)], EvidenceFormat.KeyRotationPredicateType, w =>
            {
                w.WriteString("previous_key", PreviousKey);
                w.WriteString("next_key", NextKey);
                w.WriteString("next_public_key", NextPublicKeyPem);
                w.WriteString("rotated_at", EvidenceFormat.FormatPayloadTimestamp(RotatedAt));
                w.WriteString("reason", Reason);
                w.WriteString("operator", Operator);
            }));
    }

    /// <summary>
    /// The statement inside a verified envelope signed by <paramref name="signerKeyId"/>, or null with <paramref name="problem"/>:
    /// it must retire its own signer, and its new public key must hash to the new key id.
    /// </summary>
    public static KeyRotationStatement? Parse(byte[] payload, string signerKeyId, out string problem)
    {
        var predicate = InTotoStatement.ReadPredicate(payload, EvidenceFormat.KeyRotationPredicateType, out _, out problem);
        if (predicate is not { } p)
            return null;
        if (!Json.TryString(p, "previous_key", out var previous) || !Json.TryString(p, "next_key", out var next)
            || !Json.TryString(p, "next_public_key", out var pem) || !Json.TryTimestamp(p, "rotated_at", out var rotatedAt))
        {
            problem = "previous_key, next_key, next_public_key or rotated_at missing";
            return null;
        }
        if (previous != signerKeyId)
        {
            problem = $"it retires key {previous} but was signed by {signerKeyId}";
            return null;
        }
        try
        {
            using var key = EvidenceKeyFiles.ParsePublicKey(pem, "next_public_key");
            if (EvidenceKeyFiles.ComputeKeyId(key) != next)
            {
                problem = "next_public_key does not hash to next_key";
                return null;
            }
        }
        catch (Exception e) when (e is System.Security.Cryptography.CryptographicException or FormatException)
        {
            problem = e.Message;
            return null;
        }
        Json.TryString(p, "reason", out var reason);
        Json.TryString(p, "operator", out var who);
        return new KeyRotationStatement(previous, next, pem, rotatedAt, reason, who);
    }
}
