using System.Security.Cryptography;

namespace RunbookHost.Stores;

/// <summary>Random store credentials: URL-safe ASCII, so valid unchanged for SCRAM (no SASLprep change) and Redis.</summary>
public static class StorePasswords
{
    private const string Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

    /// <summary>A password of <paramref name="length"/> characters (6 bits of entropy each; default 43 ≈ 256 bits).</summary>
    public static string Generate(int length = 43)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(length, 16);
        return RandomNumberGenerator.GetString(Alphabet, length);
    }
}
