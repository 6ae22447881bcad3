using System.Security.Cryptography;

namespace RunbookHost.Keys.Age;

/// <summary>An age X25519 recipient (public key), "age1...".</summary>
public sealed class AgeX25519Recipient
{
    internal const string StanzaType = "X25519";
    private const string Info = "age-encryption.org/v1/X25519";
    private readonly byte[] publicKey;
    private readonly string encoded;

    internal AgeX25519Recipient(byte[] publicKey)
    {
        this.publicKey = publicKey;
        encoded = Bech32.Encode("age", publicKey);
    }

    internal ReadOnlySpan<byte> PublicKey => publicKey;

    public static AgeX25519Recipient Parse(string encoded)
    {
        ArgumentNullException.ThrowIfNull(encoded);
        if (encoded.StartsWith("ssh-", StringComparison.Ordinal) || encoded.StartsWith("ecdsa-", StringComparison.Ordinal))
        {
            throw new AgeException(AgeErrorKind.Unsupported, "SSH recipients are not supported");
        }

        if (!Bech32.TryDecode(encoded, out var hrp, out var data))
        {
            throw new AgeException(AgeErrorKind.InvalidKey, "malformed age recipient (not valid Bech32)");
        }

        if (hrp == "age1pq")
        {
            throw new AgeException(AgeErrorKind.Unsupported, "post-quantum hybrid recipients (age1pq1...) are not supported");
        }

        if (hrp.StartsWith("age1", StringComparison.Ordinal))
        {
            throw new AgeException(AgeErrorKind.Unsupported, "age plugin recipients are not supported");
        }

        if (hrp != "age")
        {
            throw new AgeException(AgeErrorKind.InvalidKey, "malformed age recipient (wrong prefix, expected lowercase age1...)");
        }

        if (data.Length != 32)
        {
            throw new AgeException(AgeErrorKind.InvalidKey, "malformed age recipient (wrong key length)");
        }

        return new AgeX25519Recipient(data);
    }

    public override string ToString() => encoded;

    public override bool Equals(object? obj) => obj is AgeX25519Recipient other && other.encoded == encoded;

    public override int GetHashCode() => encoded.GetHashCode(StringComparison.Ordinal);

    /// <summary>Wraps the file key into an "X25519" stanza for this recipient.</summary>
    internal AgeStanza Wrap(ReadOnlySpan<byte> fileKey)
    {
        var ephemeral = RandomNumberGenerator.GetBytes(32);
        byte[]? shared = null;
        byte[]? key = null;
        try
        {
            var share = AgeCrypto.X25519Base(ephemeral);
            shared = AgeCrypto.X25519Agree(ephemeral, publicKey);
            key = AgeCrypto.Hkdf(shared, [.. share, .. publicKey], Info);
            var body = AgeCrypto.SealWrap(key, fileKey);
            return new AgeStanza(StanzaType, [StrictBase64.EncodeUnpadded(share)], body);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(ephemeral);
            if (shared is not null)
            {
                CryptographicOperations.ZeroMemory(shared);
            }

            if (key is not null)
            {
                CryptographicOperations.ZeroMemory(key);
            }
        }
    }

    /// <summary>Unwrap half, used by <see cref="AgeX25519Identity"/>.</summary>
    internal static byte[]? Unwrap(AgeStanza stanza, ReadOnlySpan<byte> secretKey, ReadOnlySpan<byte> ourPublicKey)
    {
        if (stanza.Args.Count != 1)
        {
            throw new AgeException(AgeErrorKind.HeaderFailure, "invalid X25519 stanza: expected exactly one argument");
        }

        var share = StrictBase64.DecodeUnpadded(System.Text.Encoding.ASCII.GetBytes(stanza.Args[0]));
        if (share is null || share.Length != 32)
        {
            throw new AgeException(AgeErrorKind.HeaderFailure, "invalid X25519 stanza: malformed ephemeral share");
        }

        if (stanza.Body.Length != AgeCrypto.FileKeySize + AgeCrypto.TagSize)
        {
            throw new AgeException(AgeErrorKind.HeaderFailure, "invalid X25519 stanza: wrong body length");
        }

        var shared = AgeCrypto.X25519Agree(secretKey, share);
        var key = AgeCrypto.Hkdf(shared, [.. share, .. ourPublicKey], Info);
        try
        {
            return AgeCrypto.OpenWrap(key, stanza.Body);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(shared);
            CryptographicOperations.ZeroMemory(key);
        }
    }
}
