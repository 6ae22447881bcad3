using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Crypto.Engines;
using Org.BouncyCastle.Crypto.Modes;
using Org.BouncyCastle.Crypto.Parameters;

namespace RunbookHost.Keys.Sops;

/// <summary>
/// The sops value cipher: AES-256-GCM with a 32-byte random IV and a 16-byte tag, written as
/// <c>ENC[AES256_GCM,data:…,iv:…,tag:…,type:…]</c>. BouncyCastle is used because .NET's AesGcm
/// only accepts 12-byte nonces.
/// </summary>
internal static partial class SopsCipher
{
    public const int IvSize = 32;
    private const int TagSize = 16;

    [GeneratedRegex(@"^ENC\[AES256_GCM,data:([A-Za-z0-9+/=]*),iv:([A-Za-z0-9+/=]+),tag:([A-Za-z0-9+/=]+),type:([a-z]+)\]\z", RegexOptions.CultureInvariant)]
    private static partial Regex EncPattern();

    public static bool LooksEncrypted(string value) => value.StartsWith("ENC[", StringComparison.Ordinal);

    public static string Encrypt(ReadOnlySpan<byte> plaintext, string type, byte[] key, string aad)
    {
        var iv = RandomNumberGenerator.GetBytes(IvSize);
        var cipher = NewCipher(true, key, iv, aad);
        var output = new byte[cipher.GetOutputSize(plaintext.Length)];
        var n = cipher.ProcessBytes(plaintext.ToArray(), 0, plaintext.Length, output, 0);
        n += cipher.DoFinal(output, n);
        var data = output.AsSpan(0, n - TagSize);
        var tag = output.AsSpan(n - TagSize, TagSize);
        return $"ENC[AES256_GCM,data:{Convert.ToBase64String(data)},iv:{Convert.ToBase64String(iv)},tag:{Convert.ToBase64String(tag)},type:{type}]";
    }

    /// <summary>Decrypt one value; <paramref name="where"/> names the path for error messages.</summary>
    public static byte[] Decrypt(string value, byte[] key, string aad, string where, out string type)
    {
        var m = EncPattern().Match(value);
        if (!m.Success)
            throw new SopsException($"value at '{where}' is not a valid sops encrypted value");
        byte[] data, iv, tag;
        try
        {
            data = Convert.FromBase64String(m.Groups[1].Value);
            iv = Convert.FromBase64String(m.Groups[2].Value);
            tag = Convert.FromBase64String(m.Groups[3].Value);
        }
        catch (FormatException)
        {
            throw new SopsException($"value at '{where}' has invalid base64");
        }
        if (iv.Length == 0 || tag.Length != TagSize)
            throw new SopsException($"value at '{where}' has an invalid iv or tag");
        type = m.Groups[4].Value;
        var cipher = NewCipher(false, key, iv, aad);
        var input = new byte[data.Length + tag.Length];
        data.CopyTo(input, 0);
        tag.CopyTo(input, data.Length);
        var output = new byte[cipher.GetOutputSize(input.Length)];
        try
        {
            var n = cipher.ProcessBytes(input, 0, input.Length, output, 0);
            n += cipher.DoFinal(output, n);
            return n == output.Length ? output : output[..n];
        }
        catch (InvalidCipherTextException)
        {
            CryptographicOperations.ZeroMemory(output);
            throw new SopsException($"could not decrypt value at '{where}': authentication failed (wrong data key or tampered value)");
        }
    }

    private static GcmBlockCipher NewCipher(bool forEncryption, byte[] key, byte[] iv, string aad)
    {
        if (key.Length != 32)
            throw new SopsException("data key must be 32 bytes");
        var cipher = new GcmBlockCipher(new AesEngine());
        cipher.Init(forEncryption, new AeadParameters(new KeyParameter(key), TagSize * 8, iv, Encoding.UTF8.GetBytes(aad)));
        return cipher;
    }
}
