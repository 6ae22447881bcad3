using System.Security.Cryptography;
using System.Text;
using RunbookHost.IO;

namespace RunbookHost.Cli.Scripting;

/// <summary>
/// Authenticates compiled-runbook cache entries, so a cached assembly runs only when this host compiled it from the
/// hashed closure. An entry is <c>magic ‖ HMAC-SHA256(key, magic ‖ cache key ‖ "\n" ‖ assembly) ‖ assembly</c>; the
/// key is 32 random bytes in <c>&lt;secrets&gt;/compile-cache.key</c> (0600, created on first use), which a writer of
/// the cache folder cannot read. The cache key inside the MAC binds an entry to its closure: a genuine entry copied
/// over another runbook's is as foreign as any other file.
/// </summary>
internal sealed class CompileCacheSeal
{
    public const string KeyFileName = "compile-cache.key";
    private const int KeyLength = 32, TagLength = 32;
    private static ReadOnlySpan<byte> Magic => "runbook-host compiled runbook v1\n"u8;

    private readonly byte[] key;

    /// <summary>Bytes before the assembly in an entry: magic and MAC.</summary>
    public static int HeaderLength => Magic.Length + TagLength;

    private CompileCacheSeal(byte[] key) => this.key = key;

    /// <summary>The host's key, created in <paramref name="secretsFolder"/> on first use; throws <see cref="UntrustedFileException"/> when it is not private.</summary>
    public static CompileCacheSeal Load(string secretsFolder)
    {
        AtomicFile.CreatePrivateFolder(secretsFolder);
        StrictModes.Check(secretsFolder, "secrets folder");
        return new CompileCacheSeal(PrivateFile.LoadOrCreateKey(Path.Combine(secretsFolder, KeyFileName), "compile cache key", KeyLength));
    }

    public byte[] Seal(string cacheKey, byte[] assembly) => [.. Magic, .. Tag(cacheKey, assembly), .. assembly];

    /// <summary>The assembly inside <paramref name="entry"/> when its MAC verifies (constant time) for <paramref name="cacheKey"/>; otherwise null.</summary>
    public byte[]? Open(string cacheKey, byte[] entry)
    {
        if (entry.Length <= HeaderLength || !entry.AsSpan().StartsWith(Magic))
            return null;
        var assembly = entry[HeaderLength..];
        return CryptographicOperations.FixedTimeEquals(entry.AsSpan(Magic.Length, TagLength), Tag(cacheKey, assembly)) ? assembly : null;
    }

    private byte[] Tag(string cacheKey, byte[] assembly)
    {
        using var mac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, key);
        mac.AppendData(Magic);
        mac.AppendData(Encoding.UTF8.GetBytes(cacheKey + "\n"));
        mac.AppendData(assembly);
        return mac.GetHashAndReset();
    }
}
