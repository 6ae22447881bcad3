using System.Security.Cryptography;

namespace RunbookHost.Evidence;

/// <summary>
/// A key an auditor trusts, and where that trust came from (`--key FILE`, configuration, the registry). Either its PEM,
/// or only its id: then the public key is taken from the evidence tree, and trusted only because it hashes to the id.
/// <see cref="RetiredAt"/>: files this key signed after that time are refused.
/// </summary>
public sealed record PinnedKey(string Source, string? KeyId = null, string? PublicKeyPem = null, DateTimeOffset? RetiredAt = null);

/// <summary>
/// The keys evidence verification trusts: the pinned ones, plus each key a trusted key endorsed in a rotation statement
/// (`_keys/&lt;id&gt;.rotation.json`), which also retires its signer. Never a key just because it lies beside the evidence.
/// </summary>
public sealed class EvidenceTrust : IDisposable
{
    private readonly Dictionary<string, Trusted> _keys = new(StringComparer.Ordinal);
    private readonly List<string> _notes = [];

    private sealed class Trusted(string keyId, ECDsa? key, string source)
    {
        public string KeyId { get; } = keyId;
        public ECDsa? Key { get; set; } = key;
        public string Source { get; set; } = source;
        public DateTimeOffset? RetiredAt { get; set; }
    }

    /// <summary>Key ids and their sources, for the output ("key 1a2b… (--key ./pub.pem), retired 2026-…").</summary>
    public IEnumerable<string> Describe() => _keys.Values.OrderBy(k => k.KeyId, StringComparer.Ordinal).Select(k =>
        $"{k.KeyId} ({k.Source})" + (k.RetiredAt is { } at ? $", retired {EvidenceFormat.FormatPayloadTimestamp(at)}" : "")
        + (k.Key is null ? ", public key not found" : ""));

    /// <summary>What resolving trust noticed (rotation statements not followed, pinned keys without a public key).</summary>
    public IReadOnlyList<string> Notes => _notes;

    public bool IsEmpty => _keys.Count == 0;

    public static EvidenceTrust Resolve(string evidenceRoot, IEnumerable<PinnedKey> pinned)
    {
        var trust = new EvidenceTrust();
        foreach (var pin in pinned)
            trust.Pin(evidenceRoot, pin);
        trust.FollowRotations(evidenceRoot);
        return trust;
    }

    /// <summary>
    /// Null when <paramref name="envelope"/> is signed, low-S, by a trusted key that was not retired before
    /// <paramref name="signedAt"/>; otherwise the named reason. <paramref name="keyId"/> is the key that verified it.
    /// </summary>
    public string? Check(DsseEnvelope envelope, DateTimeOffset signedAt, out string? keyId)
    {
        keyId = null;
        if (!_keys.TryGetValue(envelope.KeyId, out var trusted))
            return $"untrusted-key: signed by key {envelope.KeyId}, which is not pinned " +
                   $"(trusted: {(_keys.Count == 0 ? "none" : string.Join(", ", _keys.Keys.Select(k => k[..12] + "…")))})";
        if (trusted.Key is null)
            return $"untrusted-key: signed by pinned key {envelope.KeyId}, but its public key was not found (pass it with --key)";
        if (EcdsaLowS.Problem(envelope.Signature) is { } canonical)
            return $"bad-signature: {canonical}";
        if (!trusted.Key.VerifyData(envelope.Pae(), envelope.Signature, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence))
            return "bad-signature: signature does not verify (content or signature changed)";
        if (trusted.RetiredAt is { } retired && signedAt > retired)
            return $"retired-key: signed by key {envelope.KeyId} at {EvidenceFormat.FormatPayloadTimestamp(signedAt)}, " +
                   $"after its retirement at {EvidenceFormat.FormatPayloadTimestamp(retired)}";
        keyId = envelope.KeyId;
        return null;
    }

    public void Dispose()
    {
        foreach (var key in _keys.Values)
            key.Key?.Dispose();
    }

    private void Pin(string evidenceRoot, PinnedKey pin)
    {
        ECDsa? key = null;
        if (pin.PublicKeyPem is not null)
        {
            key = EvidenceKeyFiles.ParsePublicKey(pin.PublicKeyPem, pin.Source);
            var id = EvidenceKeyFiles.ComputeKeyId(key);
            if (pin.KeyId is not null && pin.KeyId != id)
            {
                key.Dispose();
                throw new CryptographicException($"{pin.Source}: the public key is {id}, not the pinned {pin.KeyId}");
            }
            pin = pin with { KeyId = id };
        }
        else if (pin.KeyId is null || !EvidenceFormat.IsSha256Hex(pin.KeyId))
            throw new CryptographicException($"{pin.Source}: a pinned key id is 64 lowercase hex characters (SHA-256 of the public key)");
        else
            key = FindPublicKey(evidenceRoot, pin.KeyId);
        Add(pin.KeyId!, key, pin.Source, pin.RetiredAt);
        if (key is null)
            _notes.Add($"pinned key {pin.KeyId} ({pin.Source}): no public key hashing to it in the evidence tree");
    }

    private void Add(string keyId, ECDsa? key, string source, DateTimeOffset? retiredAt)
    {
        if (!_keys.TryGetValue(keyId, out var trusted))
            _keys[keyId] = trusted = new Trusted(keyId, key, source);
        else if (trusted.Key is null)
            (trusted.Key, trusted.Source) = (key, $"{trusted.Source}, {source}");
        else
            key?.Dispose();
        if (retiredAt is { } at)
            Retire(trusted, at);
    }

    private static void Retire(Trusted trusted, DateTimeOffset at)
    {
        if (trusted.RetiredAt is null || at < trusted.RetiredAt)
            trusted.RetiredAt = at;
    }

    /// <summary>A public key for a pinned id from the (untrusted) evidence tree: used only when it hashes to the id.</summary>
    private static ECDsa? FindPublicKey(string evidenceRoot, string keyId)
    {
        foreach (var candidate in new[] { EvidenceKeyFiles.PublishedKeyPath(evidenceRoot, keyId), Path.Combine(evidenceRoot, EvidenceFormat.PublicKeyFileName) })
        {
            if (!File.Exists(candidate))
                continue;
            try
            {
                var key = EvidenceKeyFiles.LoadPublicKey(candidate);
                if (EvidenceKeyFiles.ComputeKeyId(key) == keyId)
                    return key;
                key.Dispose();
            }
            catch (Exception e) when (e is CryptographicException or IOException or FormatException)
            {
            }
        }
        return null;
    }

    /// <summary>Trusts each key a trusted key endorsed, until nothing changes (a chain of rotations is followed in any order).</summary>
    private void FollowRotations(string evidenceRoot)
    {
        var folder = Path.Combine(evidenceRoot, EvidenceFormat.KeysFolder);
        if (!Directory.Exists(folder))
            return;
        var pending = Directory.EnumerateFiles(folder, "*.rotation.json").Order(StringComparer.Ordinal).ToList();
        for (var changed = true; changed;)
        {
            changed = false;
            foreach (var path in pending.ToList())
            {
                var envelope = DsseEnvelope.Parse(File.ReadAllBytes(path), out var problem);
                if (envelope is null || !_keys.ContainsKey(envelope.KeyId))
                    continue;
                pending.Remove(path);
                var statement = KeyRotationStatement.Parse(envelope.Payload, envelope.KeyId, out problem);
                var refused = statement is null ? problem : Check(envelope, statement.RotatedAt, out _);
                if (refused is not null)
                {
                    _notes.Add($"rotation statement {Path.GetFileName(path)} not followed: {refused}");
                    continue;
                }
                Add(statement!.NextKey, EvidenceKeyFiles.ParsePublicKey(statement.NextPublicKeyPem, path),
                    $"rotation from {statement.PreviousKey[..12]}… at {EvidenceFormat.FormatPayloadTimestamp(statement.RotatedAt)}", null);
                Retire(_keys[statement.PreviousKey], statement.RotatedAt);
                changed = true;
            }
        }
        foreach (var path in pending)
            _notes.Add($"rotation statement {Path.GetFileName(path)} not followed: not signed by a trusted key");
    }
}
