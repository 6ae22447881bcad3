using System.Security.Cryptography;

namespace RunbookHost.Keys.Age;

/// <summary>The STREAM payload: 64 KiB ChaCha20-Poly1305 chunks, nonce = 11-byte counter || last flag.</summary>
internal static class AgePayload
{
    public const int ChunkSize = 64 * 1024;
    public const int NonceSize = 16;
    private const int SealedChunkSize = ChunkSize + AgeCrypto.TagSize;

    public static byte[] DeriveKey(ReadOnlySpan<byte> fileKey, ReadOnlySpan<byte> nonce) => AgeCrypto.Hkdf(fileKey, nonce, "payload");

    /// <summary>Encrypts input to output; the final chunk may be full, and is empty only for an empty payload.</summary>
    public static void Encrypt(Stream input, ReadOnlySpan<byte> payloadKey, Action<ReadOnlySpan<byte>> write)
    {
        using var aead = new ChaCha20Poly1305(payloadKey);
        var current = new byte[ChunkSize];
        var next = new byte[ChunkSize];
        var sealedChunk = new byte[SealedChunkSize];
        Span<byte> nonce = stackalloc byte[12];
        try
        {
            var currentLength = input.ReadAtLeast(current, ChunkSize, throwOnEndOfStream: false);
            while (true)
            {
                var nextLength = currentLength == ChunkSize ? input.ReadAtLeast(next, ChunkSize, throwOnEndOfStream: false) : 0;
                var last = nextLength == 0;
                nonce[11] = last ? (byte)1 : (byte)0;
                aead.Encrypt(nonce, current.AsSpan(0, currentLength), sealedChunk.AsSpan(0, currentLength), sealedChunk.AsSpan(currentLength, AgeCrypto.TagSize));
                write(sealedChunk.AsSpan(0, currentLength + AgeCrypto.TagSize));
                if (last)
                {
                    return;
                }

                Increment(nonce);
                (current, next) = (next, current);
                currentLength = nextLength;
            }
        }
        finally
        {
            CryptographicOperations.ZeroMemory(current);
            CryptographicOperations.ZeroMemory(next);
        }
    }

    /// <summary>
    /// Decrypts chunk by chunk, handing each verified chunk to <paramref name="release"/>; throws
    /// <see cref="AgeException"/> (PayloadFailure) on truncation, corruption or trailing data, after
    /// the chunks verified before the failure have been released.
    /// </summary>
    public static void Decrypt(BufferedInput input, ReadOnlySpan<byte> payloadKey, Action<ReadOnlySpan<byte>> release)
    {
        using var aead = new ChaCha20Poly1305(payloadKey);
        var sealedChunk = new byte[SealedChunkSize];
        var plain = new byte[ChunkSize];
        Span<byte> nonce = stackalloc byte[12];
        var first = true;
        try
        {
            while (true)
            {
                var n = input.ReadAtMost(sealedChunk);
                if (n == 0)
                {
                    throw Fail("truncated (missing final chunk)");
                }

                bool last;
                int length;
                if (n < SealedChunkSize)
                {
                    last = true;
                    if (n < AgeCrypto.TagSize)
                    {
                        throw Fail("truncated chunk");
                    }

                    if (n == AgeCrypto.TagSize && !first)
                    {
                        throw Fail("final chunk is empty");
                    }

                    length = n - AgeCrypto.TagSize;
                    nonce[11] = 1;
                    if (!Open(aead, nonce, sealedChunk.AsSpan(0, n), plain))
                    {
                        throw Fail("chunk failed to authenticate");
                    }
                }
                else
                {
                    length = ChunkSize;
                    nonce[11] = 0;
                    last = false;
                    if (!Open(aead, nonce, sealedChunk, plain))
                    {
                        nonce[11] = 1;
                        last = true;
                        if (!Open(aead, nonce, sealedChunk, plain))
                        {
                            throw Fail("chunk failed to authenticate");
                        }
                    }
                }

                release(plain.AsSpan(0, length));
                CryptographicOperations.ZeroMemory(plain);
                if (last)
                {
                    if (!input.AtEnd)
                    {
                        throw Fail("trailing data after the final chunk");
                    }

                    return;
                }

                Increment(nonce);
                first = false;
            }
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plain);
        }
    }

    private static bool Open(ChaCha20Poly1305 aead, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> sealedChunk, Span<byte> plain)
    {
        try
        {
            aead.Decrypt(nonce, sealedChunk[..^AgeCrypto.TagSize], sealedChunk[^AgeCrypto.TagSize..], plain[..(sealedChunk.Length - AgeCrypto.TagSize)]);
            return true;
        }
        catch (CryptographicException)
        {
            return false;
        }
    }

    private static void Increment(Span<byte> nonce)
    {
        for (var i = 10; i >= 0; i--)
        {
            if (++nonce[i] != 0)
            {
                return;
            }
        }

        throw Fail("chunk counter overflow");
    }

    private static AgeException Fail(string reason) => new(AgeErrorKind.PayloadFailure, "invalid age payload: " + reason);
}
