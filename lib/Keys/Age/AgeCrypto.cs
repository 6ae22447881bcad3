using System.Security.Cryptography;
using System.Text;
// NATS.NKeys (a NATS.Net dependency) declares a global X25519 type too: name BouncyCastle's explicitly.
using Curve25519 = Org.BouncyCastle.Math.EC.Rfc7748.X25519;

namespace RunbookHost.Keys.Age;

/// <summary>The primitives age is built from: HKDF-SHA-256, ChaCha20-Poly1305, X25519.</summary>
internal static class AgeCrypto
{
    public const int FileKeySize = 16;
    public const int TagSize = 16;

    public static byte[] Hkdf(ReadOnlySpan<byte> ikm, ReadOnlySpan<byte> salt, string info)
    {
        var output = new byte[32];
        HKDF.DeriveKey(HashAlgorithmName.SHA256, ikm, output, salt, Encoding.ASCII.GetBytes(info));
        return output;
    }

    /// <summary>Seals with an all-zero nonce (every wrapping key is used exactly once).</summary>
    public static byte[] SealWrap(ReadOnlySpan<byte> key, ReadOnlySpan<byte> plaintext)
    {
        using var aead = new ChaCha20Poly1305(key);
        var output = new byte[plaintext.Length + TagSize];
        aead.Encrypt(stackalloc byte[12], plaintext, output.AsSpan(0, plaintext.Length), output.AsSpan(plaintext.Length));
        return output;
    }

    /// <summary>Opens with an all-zero nonce; null when the tag does not verify.</summary>
    public static byte[]? OpenWrap(ReadOnlySpan<byte> key, ReadOnlySpan<byte> sealedBox)
    {
        if (sealedBox.Length < TagSize)
        {
            return null;
        }

        using var aead = new ChaCha20Poly1305(key);
        var output = new byte[sealedBox.Length - TagSize];
        try
        {
            aead.Decrypt(stackalloc byte[12], sealedBox[..^TagSize], sealedBox[^TagSize..], output);
            return output;
        }
        catch (CryptographicException)
        {
            CryptographicOperations.ZeroMemory(output);
            return null;
        }
    }

    public static byte[] X25519Base(ReadOnlySpan<byte> scalar)
    {
        var k = scalar.ToArray();
        var point = new byte[32];
        Curve25519.ScalarMultBase(k, 0, point, 0);
        CryptographicOperations.ZeroMemory(k);
        return point;
    }

    /// <summary>X25519(scalar, point); throws when the result is the all-zero (low-order) value.</summary>
    public static byte[] X25519Agree(ReadOnlySpan<byte> scalar, ReadOnlySpan<byte> point)
    {
        var k = scalar.ToArray();
        var u = point.ToArray();
        var shared = new byte[32];
        Curve25519.ScalarMult(k, 0, u, 0, shared, 0);
        CryptographicOperations.ZeroMemory(k);
        var acc = 0;
        foreach (var b in shared)
        {
            acc |= b;
        }

        if (acc == 0)
        {
            throw new AgeException(AgeErrorKind.HeaderFailure, "X25519 share is a low-order point (all-zero shared secret)");
        }

        return shared;
    }
}
