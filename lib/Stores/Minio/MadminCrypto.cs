using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Org.BouncyCastle.Crypto.Generators;
using Org.BouncyCastle.Crypto.Parameters;

namespace RunbookHost.Stores.Minio;

/// <summary>
/// The madmin-go body encryption used by MinIO's admin API (EncryptData/DecryptData):
/// <c>salt(32) | id(1) | nonce(8) | sio stream</c>. The key is derived from a password (the secret key
/// of the signing credential) with Argon2id (t=1, m=64 MiB, p=4, v1.3) for ids 0x00/0x01 or
/// PBKDF2-SHA256 (8192 rounds) for id 0x02. The sio stream seals 16 KiB fragments; the AEAD nonce is
/// the 8-byte nonce followed by a little-endian uint32 sequence number; sequence 0 seals nothing and
/// its tag, prefixed by a flag byte (0x00, or 0x80 on the final fragment), is every fragment's
/// associated data.
/// </summary>
public static class MadminCrypto
{
    public const byte Argon2idAesGcm = 0x00;
    public const byte Argon2idChaCha20Poly1305 = 0x01;
    public const byte Pbkdf2AesGcm = 0x02;

    private const int SaltSize = 32;
    private const int NonceSize = 8;
    private const int TagSize = 16;
    private const int KeySize = 32;
    private const int FragmentSize = 16384;
    private const int HeaderSize = SaltSize + 1 + NonceSize;

    /// <summary>Encrypts <paramref name="plaintext"/> for the admin API; Argon2id + AES-256-GCM unless another id is given.</summary>
    public static byte[] Encrypt(string password, ReadOnlySpan<byte> plaintext, byte id = Argon2idAesGcm)
    {
        ArgumentNullException.ThrowIfNull(password);
        var salt = RandomNumberGenerator.GetBytes(SaltSize);
        var nonce = RandomNumberGenerator.GetBytes(NonceSize);
        var key = DeriveKey(password, salt, id);
        try
        {
            using var aead = CreateAead(id, key);
            var fragments = Math.Max(1, (plaintext.Length + FragmentSize - 1) / FragmentSize);
            var output = new byte[HeaderSize + plaintext.Length + fragments * TagSize];
            salt.CopyTo(output, 0);
            output[SaltSize] = id;
            nonce.CopyTo(output, SaltSize + 1);

            var ad = AssociatedData(aead, nonce);
            var written = HeaderSize;
            for (var i = 0; i < fragments; i++)
            {
                var start = i * FragmentSize;
                var length = Math.Min(FragmentSize, plaintext.Length - start);
                var final = i == fragments - 1;
                ad[0] = final ? (byte)0x80 : (byte)0x00;
                var chunk = plaintext.Slice(start, length);
                aead.Seal(FragmentNonce(nonce, (uint)(i + 1)), chunk, output.AsSpan(written, length), output.AsSpan(written + length, TagSize), ad);
                written += length + TagSize;
            }
            return output;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }
    }

    /// <summary>Decrypts a madmin-encrypted body; throws <see cref="MadminCryptoException"/> (never echoing the data) when it is malformed or forged.</summary>
    public static byte[] Decrypt(string password, ReadOnlySpan<byte> data)
    {
        ArgumentNullException.ThrowIfNull(password);
        if (data.Length < HeaderSize + TagSize)
            throw new MadminCryptoException("encrypted admin payload is too short");
        var salt = data[..SaltSize].ToArray();
        var id = data[SaltSize];
        if (id > Pbkdf2AesGcm)
            throw new MadminCryptoException($"encrypted admin payload uses unknown algorithm id 0x{id:x2}");
        var nonce = data.Slice(SaltSize + 1, NonceSize).ToArray();
        var stream = data[HeaderSize..];
        var key = DeriveKey(password, salt, id);
        try
        {
            using var aead = CreateAead(id, key);
            var ad = AssociatedData(aead, nonce);
            using var output = new MemoryStream(stream.Length);
            uint sequence = 1;
            while (true)
            {
                var final = stream.Length <= FragmentSize + TagSize;
                var sealedLength = final ? stream.Length : FragmentSize + TagSize;
                if (sealedLength < TagSize)
                    throw new MadminCryptoException("encrypted admin payload is truncated");
                var plain = new byte[sealedLength - TagSize];
                ad[0] = final ? (byte)0x80 : (byte)0x00;
                try
                {
                    aead.Open(FragmentNonce(nonce, sequence), stream[..plain.Length], stream.Slice(plain.Length, TagSize), plain, ad);
                }
                catch (CryptographicException)
                {
                    throw new MadminCryptoException("encrypted admin payload failed authentication (wrong secret key or tampered data)");
                }
                output.Write(plain);
                if (final)
                    return output.ToArray();
                stream = stream[sealedLength..];
                sequence++;
            }
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }
    }

    private static byte[] DeriveKey(string password, byte[] salt, byte id)
    {
        var passwordBytes = Encoding.UTF8.GetBytes(password);
        try
        {
            if (id == Pbkdf2AesGcm)
                return Rfc2898DeriveBytes.Pbkdf2(passwordBytes, salt, 8192, HashAlgorithmName.SHA256, KeySize);
            var parameters = new Argon2Parameters.Builder(Argon2Parameters.Argon2id)
                .WithVersion(Argon2Parameters.Version13)
                .WithIterations(1)
                .WithMemoryAsKB(64 * 1024)
                .WithParallelism(4)
                .WithSalt(salt)
                .Build();
            var generator = new Argon2BytesGenerator();
            generator.Init(parameters);
            var key = new byte[KeySize];
            generator.GenerateBytes(passwordBytes, key);
            return key;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(passwordBytes);
        }
    }

    private static Aead CreateAead(byte id, byte[] key) => id switch
    {
        Argon2idChaCha20Poly1305 => new Aead(null, new ChaCha20Poly1305(key)),
        _ => new Aead(new AesGcm(key, TagSize), null),
    };

    /// <summary>Flag byte followed by the tag of sealing nothing under sequence number 0.</summary>
    private static byte[] AssociatedData(Aead aead, byte[] nonce)
    {
        var ad = new byte[1 + TagSize];
        aead.Seal(FragmentNonce(nonce, 0), [], [], ad.AsSpan(1), []);
        return ad;
    }

    private static byte[] FragmentNonce(byte[] nonce, uint sequence)
    {
        var full = new byte[12];
        nonce.CopyTo(full, 0);
        BinaryPrimitives.WriteUInt32LittleEndian(full.AsSpan(NonceSize), sequence);
        return full;
    }

    private sealed class Aead(AesGcm? gcm, ChaCha20Poly1305? chacha) : IDisposable
    {
        public void Seal(byte[] nonce, ReadOnlySpan<byte> plain, Span<byte> cipher, Span<byte> tag, ReadOnlySpan<byte> ad)
        {
            if (gcm is not null)
                gcm.Encrypt(nonce, plain, cipher, tag, ad);
            else
                chacha!.Encrypt(nonce, plain, cipher, tag, ad);
        }

        public void Open(byte[] nonce, ReadOnlySpan<byte> cipher, ReadOnlySpan<byte> tag, Span<byte> plain, ReadOnlySpan<byte> ad)
        {
            if (gcm is not null)
                gcm.Decrypt(nonce, cipher, tag, plain, ad);
            else
                chacha!.Decrypt(nonce, cipher, tag, plain, ad);
        }

        public void Dispose()
        {
            gcm?.Dispose();
            chacha?.Dispose();
        }
    }
}

public sealed class MadminCryptoException(string message) : CryptographicException(message);
