using System.Security.Cryptography;

namespace RunbookHost.Keys.Age;

/// <summary>An age X25519 identity (secret key), "AGE-SECRET-KEY-1...".</summary>
public sealed class AgeX25519Identity : IAgeIdentity
{
    private const string Hrp = "AGE-SECRET-KEY-";
    private readonly byte[] secretKey;

    private AgeX25519Identity(byte[] secretKey)
    {
        this.secretKey = secretKey;
        Recipient = new AgeX25519Recipient(AgeCrypto.X25519Base(secretKey));
    }

    public AgeX25519Recipient Recipient { get; }

    public static AgeX25519Identity Generate() => new(RandomNumberGenerator.GetBytes(32));

    public static AgeX25519Identity Parse(string encoded)
    {
        ArgumentNullException.ThrowIfNull(encoded);
        if (encoded.StartsWith("AGE-SECRET-KEY-PQ-1", StringComparison.OrdinalIgnoreCase))
        {
            throw new AgeException(AgeErrorKind.Unsupported, "post-quantum hybrid identities (AGE-SECRET-KEY-PQ-1...) are not supported");
        }

        if (encoded.StartsWith("AGE-PLUGIN-", StringComparison.OrdinalIgnoreCase))
        {
            throw new AgeException(AgeErrorKind.Unsupported, "age plugin identities are not supported");
        }

        if (!Bech32.TryDecode(encoded, out var hrp, out var data))
        {
            throw new AgeException(AgeErrorKind.InvalidKey, "malformed age secret key (not valid Bech32)");
        }

        if (hrp != Hrp || data.Length != 32)
        {
            CryptographicOperations.ZeroMemory(data);
            throw new AgeException(AgeErrorKind.InvalidKey, "malformed age secret key (expected uppercase AGE-SECRET-KEY-1... with a 32-byte key)");
        }

        return new AgeX25519Identity(data);
    }

    public string Encode() => Bech32.Encode(Hrp, secretKey);

    /// <summary>Never prints key material.</summary>
    public override string ToString() => $"AgeX25519Identity({Recipient})";

    byte[]? IAgeIdentity.Unwrap(IReadOnlyList<AgeStanza> stanzas)
    {
        foreach (var stanza in stanzas)
        {
            if (stanza.Type != AgeX25519Recipient.StanzaType)
            {
                continue;
            }

            var fileKey = AgeX25519Recipient.Unwrap(stanza, secretKey, Recipient.PublicKey);
            if (fileKey is not null)
            {
                return fileKey;
            }
        }

        return null;
    }
}
