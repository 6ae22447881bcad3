using System.Security.Cryptography;

namespace RunbookHost.Keys.Age;

/// <summary>Encrypts and decrypts age v1 files (binary or ASCII-armored).</summary>
public static class AgeFile
{
    public static byte[] Encrypt(ReadOnlySpan<byte> plaintext, IReadOnlyList<AgeX25519Recipient> recipients, bool armor = false)
    {
        var copy = plaintext.ToArray();
        using var input = new MemoryStream(copy, writable: false);
        using var output = new MemoryStream();
        try
        {
            Encrypt(input, output, recipients, armor);
            return output.ToArray();
        }
        finally
        {
            CryptographicOperations.ZeroMemory(copy);
        }
    }

    /// <summary>Streaming encryption of everything readable from <paramref name="input"/>.</summary>
    public static void Encrypt(Stream input, Stream output, IReadOnlyList<AgeX25519Recipient> recipients, bool armor = false)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(recipients);
        if (recipients.Count == 0)
        {
            throw new ArgumentException("at least one recipient is required", nameof(recipients));
        }

        var fileKey = RandomNumberGenerator.GetBytes(AgeCrypto.FileKeySize);
        byte[]? payloadKey = null;
        try
        {
            var stanzas = recipients.Select(r => (r ?? throw new ArgumentException("null recipient", nameof(recipients))).Wrap(fileKey)).ToList();
            var header = AgeHeader.Write(stanzas, fileKey);
            var nonce = RandomNumberGenerator.GetBytes(AgePayload.NonceSize);
            payloadKey = AgePayload.DeriveKey(fileKey, nonce);
            var armorWriter = armor ? new ArmorWriter(output) : null;
            void Write(ReadOnlySpan<byte> data)
            {
                if (armorWriter is null)
                {
                    output.Write(data);
                }
                else
                {
                    armorWriter.Write(data);
                }
            }

            Write(header);
            Write(nonce);
            AgePayload.Encrypt(input, payloadKey, Write);
            armorWriter?.Finish();
        }
        finally
        {
            CryptographicOperations.ZeroMemory(fileKey);
            if (payloadKey is not null)
            {
                CryptographicOperations.ZeroMemory(payloadKey);
            }
        }
    }

    /// <summary>
    /// Decrypts a whole file (armored or binary, detected automatically). All or nothing: on any
    /// failure an <see cref="AgeException"/> is thrown and no plaintext is returned.
    /// </summary>
    public static byte[] Decrypt(ReadOnlySpan<byte> file, IReadOnlyList<IAgeIdentity> identities)
    {
        using var input = new MemoryStream(file.ToArray(), writable: false);
        using var output = new MemoryStream();
        try
        {
            Decrypt(input, output, identities);
            return output.ToArray();
        }
        finally
        {
            CryptographicOperations.ZeroMemory(output.GetBuffer());
        }
    }

    /// <summary>
    /// Streaming decryption. Nothing is written before the header (stanzas and HMAC) has verified;
    /// afterwards each 64 KiB chunk is written only once it has authenticated. If the payload is
    /// truncated or corrupted, an <see cref="AgeException"/> (PayloadFailure) is thrown after the
    /// chunks that verified before it were written: callers must discard the output on exception.
    /// </summary>
    public static void Decrypt(Stream input, Stream output, IReadOnlyList<IAgeIdentity> identities)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(identities);
        if (identities.Count == 0)
        {
            throw new ArgumentException("at least one identity is required", nameof(identities));
        }

        var raw = new BufferedInput(input);
        var source = AgeArmor.LooksArmored(raw) ? new BufferedInput(new ArmorReadStream(raw)) : raw;
        var header = AgeHeader.Parse(source);
        if (header.Stanzas.Any(s => s.Type == AgeScryptIdentity.StanzaType) && header.Stanzas.Count != 1)
        {
            throw new AgeException(AgeErrorKind.HeaderFailure, "invalid age header: an scrypt stanza must be the only stanza");
        }

        byte[]? fileKey = null;
        byte[]? payloadKey = null;
        try
        {
            foreach (var identity in identities)
            {
                ArgumentNullException.ThrowIfNull(identity);
                fileKey = identity.Unwrap(header.Stanzas);
                if (fileKey is not null)
                {
                    break;
                }
            }

            if (fileKey is null)
            {
                throw new AgeException(AgeErrorKind.NoMatch, "no identity matched any of the file's recipients");
            }

            if (!header.VerifyMac(fileKey))
            {
                throw new AgeException(AgeErrorKind.HmacFailure, "age header MAC does not verify (header tampered or wrong key)");
            }

            Span<byte> nonce = stackalloc byte[AgePayload.NonceSize];
            if (source.ReadAtMost(nonce) != AgePayload.NonceSize)
            {
                throw new AgeException(AgeErrorKind.HeaderFailure, "invalid age file: missing or truncated payload nonce");
            }

            payloadKey = AgePayload.DeriveKey(fileKey, nonce);
            AgePayload.Decrypt(source, payloadKey, chunk => output.Write(chunk));
        }
        finally
        {
            if (fileKey is not null)
            {
                CryptographicOperations.ZeroMemory(fileKey);
            }

            if (payloadKey is not null)
            {
                CryptographicOperations.ZeroMemory(payloadKey);
            }

            source.Clear();
        }
    }
}
