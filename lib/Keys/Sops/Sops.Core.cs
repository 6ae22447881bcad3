using System.Security.Cryptography;
using System.Text;

namespace RunbookHost.Keys.Sops;

/// <summary>The shared core: decrypting a tree and checking its MAC, encrypting branches, wrapping and unwrapping the data key.</summary>
public static partial class Sops
{
    internal sealed record DecryptedLeaf(string Aad, string Type, string Plaintext);

    internal sealed record DecryptResult(List<SMap> Branches, SopsMetadata Metadata, string Mac, List<DecryptedLeaf> Leaves);

    internal static DecryptResult DecryptTree(ReadOnlySpan<byte> file, SopsFormat format, ISopsKeyService keys)
    {
        ArgumentNullException.ThrowIfNull(keys);
        var (branches, metadata) = LoadEncrypted(file, format);
        var dataKey = UnwrapChecked(keys, metadata);
        try
        {
            var leaves = VerifyMac(branches, metadata, dataKey, out var mac);
            return new DecryptResult(branches, metadata, mac, leaves);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(dataKey);
        }
    }

    /// <summary>Decrypts <paramref name="branches"/> in place and checks the MAC.</summary>
    private static List<DecryptedLeaf> VerifyMac(List<SMap> branches, SopsMetadata metadata, byte[] dataKey, out string computedMac)
    {
        var walker = new DecryptWalker(dataKey, metadata.Selectors);
        foreach (var b in branches)
            walker.WalkMap(b, []);
        computedMac = walker.FinishMac();
        if (metadata.Mac is null)
            throw new SopsMacMismatchException("MAC mismatch: the file has no MAC");
        byte[] stored;
        try
        {
            stored = SopsCipher.Decrypt(metadata.Mac, dataKey, metadata.MacAad, "sops:mac", out _);
        }
        catch (SopsException)
        {
            throw new SopsMacMismatchException("MAC mismatch: the stored MAC cannot be decrypted (tampered metadata or wrong data key)");
        }
        if (!CryptographicOperations.FixedTimeEquals(stored, Encoding.ASCII.GetBytes(computedMac)))
            throw new SopsMacMismatchException("MAC mismatch: the file content does not match its MAC (tampered or damaged)");
        return walker.Leaves;
    }

    private static byte[] EncryptBranches(List<SMap> branches, SopsFormat format, SopsSelectors selectors, IReadOnlyList<string> recipients, ISopsKeyService keys, TimeProvider clock)
    {
        ArgumentNullException.ThrowIfNull(keys);
        ArgumentNullException.ThrowIfNull(clock);
        RequireRecipients(recipients);
        var dataKey = RandomNumberGenerator.GetBytes(DataKeySize);
        try
        {
            var stanzas = WrapChecked(keys, dataKey, recipients);
            var now = clock.GetUtcNow();
            var lastModified = SopsMetadata.FormatRfc3339(new DateTimeOffset(now.Ticks - now.Ticks % TimeSpan.TicksPerSecond, TimeSpan.Zero));
            var walker = new EncryptWalker(dataKey, selectors);
            var encrypted = branches.Select(b => walker.WalkMap(b, [])).ToList();
            var mac = walker.FinishMac();
            var metadata = new SopsMetadata
            {
                Age = stanzas,
                LastModified = lastModified,
                Mac = SopsCipher.Encrypt(Encoding.ASCII.GetBytes(mac), "str", dataKey, lastModified),
                Version = WriterVersion,
                UnencryptedSuffix = selectors.UnencryptedSuffix,
                EncryptedSuffix = selectors.EncryptedSuffix,
                UnencryptedRegex = selectors.UnencryptedRegex,
                EncryptedRegex = selectors.EncryptedRegex,
                UnencryptedCommentRegex = selectors.UnencryptedCommentRegex,
                EncryptedCommentRegex = selectors.EncryptedCommentRegex,
                MacOnlyEncrypted = selectors.MacOnlyEncrypted,
            };
            return EmitEncrypted(encrypted, metadata, format);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(dataKey);
        }
    }

    private static byte[] UnwrapChecked(ISopsKeyService keys, SopsMetadata metadata)
    {
        var key = keys.Unwrap(metadata) ?? throw new SopsException("no usable key: the key service returned nothing");
        if (key.Length != DataKeySize)
        {
            CryptographicOperations.ZeroMemory(key);
            throw new SopsException("the unwrapped data key is not 32 bytes");
        }
        return key;
    }

    private static List<SopsAgeStanza> WrapChecked(ISopsKeyService keys, byte[] dataKey, IReadOnlyList<string> recipients)
    {
        var stanzas = keys.Wrap(dataKey, recipients).ToList();
        if (stanzas.Count != recipients.Count)
            throw new SopsException("the key service did not wrap the data key for every recipient");
        return stanzas;
    }

    private static void RequireRecipients(IReadOnlyList<string>? recipients)
    {
        if (recipients is null || recipients.Count == 0)
            throw new SopsException("at least one age recipient is required");
        foreach (var r in recipients)
            if (string.IsNullOrWhiteSpace(r) || r.Trim() != r)
                throw new SopsException("age recipients must be non-empty and without surrounding whitespace");
    }

    private static void RequireWritable(SopsFormat format)
    {
        if (!IsWritable(format))
            throw new SopsException($"writing {format} files is not supported (read only)");
    }

    private static void RequireAgeOnly(SopsMetadata metadata)
    {
        if (metadata.HasNonAgeKeys)
            throw new SopsException("the file has non-age key sources (pgp/kms/...); rewriting it would drop them, which is not supported");
    }
}
