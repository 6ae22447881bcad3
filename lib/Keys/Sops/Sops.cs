using System.Security.Cryptography;

namespace RunbookHost.Keys.Sops;

/// <summary>
/// Native SOPS v3: encrypt, decrypt (MAC checked), rotate and updatekeys for files that real
/// sops reads and writes. Plaintext stays in memory; nothing here touches the disk.
/// </summary>
public static partial class Sops
{
    /// <summary>The sops version written into files we produce (their layout follows it).</summary>
    public const string WriterVersion = "3.13.2";

    private const int DataKeySize = 32;
    private static readonly byte[] MacOnlyEncryptedInitialization = SHA256.HashData("sops"u8);

    /// <summary>True for the formats this implementation writes (YAML, JSON, binary); dotenv and INI are read only.</summary>
    public static bool IsWritable(SopsFormat format) => format is SopsFormat.Yaml or SopsFormat.Json or SopsFormat.Binary;

    /// <summary>Encrypt a plaintext YAML, JSON or binary file for the options' age recipients.</summary>
    public static byte[] Encrypt(ReadOnlySpan<byte> plaintext, SopsFormat format, SopsEncryptOptions options, ISopsKeyService keys, TimeProvider clock)
    {
        ArgumentNullException.ThrowIfNull(options);
        RequireWritable(format);
        var branches = LoadPlain(plaintext, format);
        foreach (var b in branches)
            if (b.Get("sops") is not null)
                throw new SopsException("the file already has a top-level 'sops' key: it is already encrypted");
        return EncryptBranches(branches, format, options.ToSelectors(), options.AgeRecipients, keys, clock);
    }

    /// <summary>Decrypt a file and return its plaintext in the same format. The MAC is always checked.</summary>
    public static byte[] Decrypt(ReadOnlySpan<byte> file, SopsFormat format, ISopsKeyService keys)
    {
        var result = DecryptTree(file, format, keys);
        return EmitPlain(result.Branches, format);
    }

    /// <summary>
    /// New data key; recipients = current age recipients + <paramref name="addAge"/> − <paramref name="removeAge"/>;
    /// every value re-encrypted; new lastmodified and MAC.
    /// </summary>
    public static byte[] Rotate(ReadOnlySpan<byte> file, SopsFormat format, ISopsKeyService keys, IReadOnlyList<string> addAge, IReadOnlyList<string> removeAge, TimeProvider clock)
    {
        ArgumentNullException.ThrowIfNull(addAge);
        ArgumentNullException.ThrowIfNull(removeAge);
        RequireWritable(format);
        var result = DecryptTree(file, format, keys);
        RequireAgeOnly(result.Metadata);
        var recipients = result.Metadata.Age.Select(a => a.Recipient)
            .Concat(addAge)
            .Where(r => !removeAge.Contains(r, StringComparer.Ordinal))
            .Distinct(StringComparer.Ordinal)
            .ToList();
        return EncryptBranches(result.Branches, format, result.Metadata.Selectors, recipients, keys, clock);
    }

    /// <summary>
    /// Re-wrap the same data key for exactly <paramref name="ageRecipients"/>; values, lastmodified and MAC
    /// unchanged. A removed recipient that kept the old data key can still read the file: rotate too.
    /// </summary>
    public static byte[] UpdateKeys(ReadOnlySpan<byte> file, SopsFormat format, ISopsKeyService keys, IReadOnlyList<string> ageRecipients)
    {
        ArgumentNullException.ThrowIfNull(keys);
        RequireWritable(format);
        RequireRecipients(ageRecipients);
        var (branches, metadata) = LoadEncrypted(file, format);
        RequireAgeOnly(metadata);
        var dataKey = UnwrapChecked(keys, metadata);
        try
        {
            // Verify the file before vouching for it under new recipients.
            var check = branches.Select(b => (SMap)b.Clone()).ToList();
            VerifyMac(check, metadata, dataKey, out _);
            var stanzas = WrapChecked(keys, dataKey, ageRecipients);
            var updated = new SopsMetadata
            {
                Age = stanzas,
                LastModified = metadata.LastModified,
                Mac = metadata.Mac,
                Version = WriterVersion,
                UnencryptedSuffix = metadata.UnencryptedSuffix,
                EncryptedSuffix = metadata.EncryptedSuffix,
                UnencryptedRegex = metadata.UnencryptedRegex,
                EncryptedRegex = metadata.EncryptedRegex,
                UnencryptedCommentRegex = metadata.UnencryptedCommentRegex,
                EncryptedCommentRegex = metadata.EncryptedCommentRegex,
                MacOnlyEncrypted = metadata.MacOnlyEncrypted,
            };
            return EmitEncrypted(branches, updated, format);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(dataKey);
        }
    }

    /// <summary>Read the <c>sops</c> block without decrypting anything.</summary>
    public static SopsMetadata ReadMetadata(ReadOnlySpan<byte> file, SopsFormat format) => LoadEncrypted(file, format).Metadata;

    /// <summary>Decrypt a file whose content is a flat map of scalars (e.g. a tenant secrets file).</summary>
    public static IReadOnlyDictionary<string, string> DecryptToDictionary(ReadOnlySpan<byte> file, SopsFormat format, ISopsKeyService keys)
    {
        var result = DecryptTree(file, format, keys);
        if (result.Branches.Count != 1)
            throw new SopsException("expected a single document");
        var dict = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var item in result.Branches[0].Items)
        {
            if (item.Key is null) continue;
            if (item.Value is not SScalar s)
                throw new SopsException($"expected a flat map of scalars, but '{item.Key}' is nested");
            if (!dict.TryAdd(item.Key, s.Kind == ScalarKind.Null ? "" : s.Text))
                throw new SopsException($"duplicate key '{item.Key}'");
        }
        return dict;
    }

    /// <summary>Encrypt a flat map of strings straight from memory (no plaintext document is serialized).</summary>
    public static byte[] EncryptDictionary(IEnumerable<KeyValuePair<string, string>> values, SopsFormat format, SopsEncryptOptions options, ISopsKeyService keys, TimeProvider clock)
    {
        ArgumentNullException.ThrowIfNull(values);
        ArgumentNullException.ThrowIfNull(options);
        if (format is not (SopsFormat.Yaml or SopsFormat.Json))
            throw new SopsException($"EncryptDictionary supports YAML and JSON, not {format}");
        var map = new SMap();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (k, v) in values)
        {
            if (k == "sops") throw new SopsException("'sops' is a reserved key");
            if (!seen.Add(k)) throw new SopsException($"duplicate key '{k}'");
            map.Add(k, SScalar.Str(v ?? throw new SopsException($"value of '{k}' is null")));
        }
        return EncryptBranches([map], format, options.ToSelectors(), options.AgeRecipients, keys, clock);
    }
}
