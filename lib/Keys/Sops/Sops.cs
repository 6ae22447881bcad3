using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace RunbookHost.Keys.Sops;

/// <summary>
/// Native SOPS v3: encrypt, decrypt (MAC checked), rotate and updatekeys for files that real
/// sops reads and writes. Plaintext stays in memory; nothing here touches the disk.
/// </summary>
public static class Sops
{
    /// <summary>The sops version written into files we produce (their layout follows it).</summary>
    public const string WriterVersion = "3.13.2";

    private const int DataKeySize = 32;
    private static readonly byte[] MacOnlyEncryptedInitialization = SHA256.HashData("sops"u8);

    // ---------- public operations ----------

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

    // ---------- core ----------

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
        if (format is not (SopsFormat.Yaml or SopsFormat.Json or SopsFormat.Binary))
            throw new SopsException($"writing {format} files is not supported (read only)");
    }

    private static void RequireAgeOnly(SopsMetadata metadata)
    {
        if (metadata.HasNonAgeKeys)
            throw new SopsException("the file has non-age key sources (pgp/kms/...); rewriting it would drop them, which is not supported");
    }

    private abstract class Walker(byte[] dataKey, SopsSelectors selectors)
    {
        protected byte[] DataKey { get; } = dataKey;
        protected SopsSelectors Selectors { get; } = selectors;
        private readonly IncrementalHash _hash = CreateHash(selectors);

        /// <summary>sops' commentsStack: per open mapping/list, the comments since its last value.</summary>
        protected List<List<string>> Comments { get; } = [];

        protected List<string> PushLevel()
        {
            var level = new List<string>();
            Comments.Add(level);
            return level;
        }

        protected void PopLevel() => Comments.RemoveAt(Comments.Count - 1);

        private static IncrementalHash CreateHash(SopsSelectors selectors)
        {
            var h = IncrementalHash.CreateHash(HashAlgorithmName.SHA512);
            if (selectors.MacOnlyEncrypted) h.AppendData(MacOnlyEncryptedInitialization);
            return h;
        }

        protected void Hash(bool encrypted, byte[] bytes)
        {
            if (!Selectors.MacOnlyEncrypted || encrypted) _hash.AppendData(bytes);
        }

        public string FinishMac() => Convert.ToHexString(_hash.GetHashAndReset());

        protected static string Aad(List<string> path) => path.Count == 0 ? ":" : string.Join(':', path) + ":";
    }

    private sealed class EncryptWalker(byte[] dataKey, SopsSelectors selectors) : Walker(dataKey, selectors)
    {
        public SMap WalkMap(SMap map, List<string> path)
        {
            var result = new SMap();
            var level = PushLevel();
            foreach (var item in map.Items)
            {
                if (item.Key is null)
                {
                    var text = ((SComment)item.Value).Text;
                    level.Add(text);
                    result.AddComment(EncryptComment(text, path));
                    continue;
                }
                path.Add(item.Key);
                result.Add(item.Key, WalkValue(item.Value, path));
                path.RemoveAt(path.Count - 1);
                level.Clear();
            }
            PopLevel();
            return result;
        }

        private string EncryptComment(string text, List<string> path) =>
            text.Length > 0 && Selectors.ShouldEncrypt(path, Comments, isComment: true)
                ? SopsCipher.Encrypt(Encoding.UTF8.GetBytes(text), "comment", DataKey, Aad(path))
                : text;

        private SNode WalkValue(SNode node, List<string> path)
        {
            switch (node)
            {
                case SMap m:
                    return WalkMap(m, path);
                case SList l:
                    var list = new SList();
                    var level = PushLevel();
                    foreach (var item in l.Items)
                    {
                        if (item is SComment c)
                        {
                            level.Add(c.Text);
                            list.Items.Add(new SComment(EncryptComment(c.Text, path)));
                            continue;
                        }
                        list.Items.Add(WalkValue(item, path));
                        level.Clear();
                    }
                    PopLevel();
                    return list;
                case SScalar { Kind: ScalarKind.Null } s:
                    return s;
                case SScalar s:
                    var encrypted = Selectors.ShouldEncrypt(path, Comments, isComment: false);
                    var bytes = s.ToBytes();
                    Hash(encrypted, bytes);
                    if (!encrypted || (s.Kind == ScalarKind.Str && bytes.Length == 0))
                        return s;
                    return SScalar.Str(SopsCipher.Encrypt(bytes, s.TypeName, DataKey, Aad(path)));
                default:
                    throw new SopsException("unexpected node in tree");
            }
        }
    }

    private sealed class DecryptWalker(byte[] dataKey, SopsSelectors selectors) : Walker(dataKey, selectors)
    {
        public List<DecryptedLeaf> Leaves { get; } = [];

        public void WalkMap(SMap map, List<string> path)
        {
            var level = PushLevel();
            foreach (var item in map.Items)
            {
                if (item.Key is null)
                {
                    var comment = (SComment)item.Value;
                    level.Add(comment.Text);
                    DecryptComment(comment, path);
                    continue;
                }
                path.Add(item.Key);
                item.Value = WalkValue(item.Value, path);
                path.RemoveAt(path.Count - 1);
                level.Clear();
            }
            PopLevel();
        }

        /// <summary>
        /// sops leaves a comment that does not decrypt as it is (older files have clear comments).
        /// The AAD is the holding mapping's path; ancestors are tried too, since YAML parsers may
        /// attach a trailing comment to a different level.
        /// </summary>
        private void DecryptComment(SComment comment, List<string> path)
        {
            var text = comment.Text.Trim();
            if (!SopsCipher.LooksEncrypted(text) || !Selectors.ShouldEncrypt(path, Comments, isComment: true)) return;
            for (var depth = path.Count; depth >= 0; depth--)
            {
                try
                {
                    var plain = SopsCipher.Decrypt(text, DataKey, Aad(path.GetRange(0, depth)), "comment", out _);
                    comment.Text = Encoding.UTF8.GetString(plain);
                    return;
                }
                catch (SopsException)
                {
                    // try the next level up
                }
            }
        }

        private SNode WalkValue(SNode node, List<string> path)
        {
            switch (node)
            {
                case SMap m:
                    WalkMap(m, path);
                    return m;
                case SList l:
                    var level = PushLevel();
                    for (var i = 0; i < l.Items.Count; i++)
                    {
                        if (l.Items[i] is SComment c)
                        {
                            level.Add(c.Text);
                            DecryptComment(c, path);
                            continue;
                        }
                        l.Items[i] = WalkValue(l.Items[i], path);
                        level.Clear();
                    }
                    PopLevel();
                    return l;
                case SScalar { Kind: ScalarKind.Null } s:
                    return s;
                case SScalar s:
                    var encrypted = Selectors.ShouldEncrypt(path, Comments, isComment: false);
                    if (!encrypted || (s.Kind == ScalarKind.Str && s.Text.Length == 0))
                    {
                        Hash(encrypted, s.ToBytes());
                        return s;
                    }
                    var aad = Aad(path);
                    if (s.Kind != ScalarKind.Str)
                        throw new SopsException($"value at '{aad}' should be encrypted but is not");
                    var plain = SopsCipher.Decrypt(s.Text, DataKey, aad, aad, out var type);
                    var value = FromPlaintext(plain, type, aad);
                    Hash(true, value.Raw ?? value.ToBytes());
                    Leaves.Add(new DecryptedLeaf(aad, type, value.Text));
                    return value;
                default:
                    throw new SopsException("unexpected node in tree");
            }
        }

        private static SScalar FromPlaintext(byte[] plain, string type, string where)
        {
            var text = Encoding.UTF8.GetString(plain);
            try
            {
                return type switch
                {
                    "str" or "bytes" => SScalar.StrRaw(plain),
                    "int" => SScalar.Int(long.Parse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture)),
                    "float" => SScalar.Float(double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture)),
                    "bool" => SScalar.Bool(SopsNumbers.ParseGoBool(text)),
                    "time" => SopsYamlScalars.TryParseTimestamp(text, out var t) ? SScalar.Time(t) : throw new FormatException(),
                    _ => throw new SopsException($"value at '{where}' has unknown type '{type}'"),
                };
            }
            catch (Exception e) when (e is FormatException or OverflowException)
            {
                throw new SopsException($"value at '{where}' does not match its type '{type}'");
            }
        }
    }

    // ---------- stores ----------

    private static List<SMap> LoadPlain(ReadOnlySpan<byte> data, SopsFormat format)
    {
        switch (format)
        {
            case SopsFormat.Yaml:
                var docs = SopsYamlStore.Load(DecodeUtf8(data));
                return docs.Count == 0 ? [new SMap()] : docs;
            case SopsFormat.Json:
                return [SopsJsonStore.Load(data)];
            case SopsFormat.Binary:
                var m = new SMap();
                m.Add("data", SScalar.StrRaw(data.ToArray()));
                return [m];
            case SopsFormat.Dotenv:
                return [SopsDotenvStore.Load(DecodeUtf8(data))];
            case SopsFormat.Ini:
                return [SopsIniStore.Load(DecodeUtf8(data))];
            default:
                throw new SopsException("unknown format");
        }
    }

    private static (List<SMap> Branches, SopsMetadata Metadata) LoadEncrypted(ReadOnlySpan<byte> data, SopsFormat format)
    {
        switch (format)
        {
            case SopsFormat.Yaml:
            case SopsFormat.Json:
            case SopsFormat.Binary:
                {
                    var branches = format == SopsFormat.Yaml ? SopsYamlStore.Load(DecodeUtf8(data)) : [SopsJsonStore.Load(data)];
                    if (branches.Count == 0)
                        throw new SopsException("sops metadata not found: the file is empty");
                    var metadata = SopsMetadata.FromTree(branches[0].Get("sops"));
                    foreach (var b in branches)
                        b.Items.RemoveAll(i => i.Key == "sops");
                    return (branches, metadata);
                }
            case SopsFormat.Dotenv:
                {
                    var map = SopsDotenvStore.Load(DecodeUtf8(data));
                    var flat = map.Items
                        .Where(i => i.Key is not null && i.Key.StartsWith(SopsDotenvStore.MetadataPrefix, StringComparison.Ordinal))
                        .Select(i => new KeyValuePair<string, string>(i.Key![SopsDotenvStore.MetadataPrefix.Length..], ((SScalar)i.Value).Text))
                        .ToList();
                    if (flat.Count == 0)
                        throw new SopsException("sops metadata not found: the file is not encrypted with sops");
                    map.Items.RemoveAll(i => i.Key is not null && i.Key.StartsWith(SopsDotenvStore.MetadataPrefix, StringComparison.Ordinal));
                    // dotenv values already had \n decoded; re-escape so Unflatten's decoding is a no-op.
                    var metadata = SopsMetadata.FromTree(SopsFlatten.Unflatten(flat.Select(kv => new KeyValuePair<string, string>(kv.Key, kv.Value.Replace("\n", "\\n")))));
                    return ([map], metadata);
                }
            case SopsFormat.Ini:
                {
                    var root = SopsIniStore.Load(DecodeUtf8(data));
                    if (root.Get("sops") is not SMap section)
                        throw new SopsException("sops metadata not found: the file is not encrypted with sops");
                    root.Items.RemoveAll(i => i.Key == "sops");
                    var flat = section.Items.Where(i => i.Key is not null)
                        .Select(i => new KeyValuePair<string, string>(i.Key!, ((SScalar)i.Value).Text));
                    return ([root], SopsMetadata.FromTree(SopsFlatten.Unflatten(flat)));
                }
            default:
                throw new SopsException("unknown format");
        }
    }

    private static byte[] EmitPlain(List<SMap> branches, SopsFormat format)
    {
        switch (format)
        {
            case SopsFormat.Yaml:
                return SopsYamlStore.Emit(branches);
            case SopsFormat.Json:
                return SopsJsonStore.Emit(branches[0]);
            case SopsFormat.Dotenv:
                return SopsDotenvStore.Emit(branches[0]);
            case SopsFormat.Ini:
                return SopsIniStore.Emit(branches[0]);
            case SopsFormat.Binary:
                if (branches[0].Get("data") is SScalar { Kind: ScalarKind.Str } data)
                    return data.ToBytes();
                throw new SopsException("binary file has no 'data' string");
            default:
                throw new SopsException("unknown format");
        }
    }

    private static byte[] EmitEncrypted(List<SMap> branches, SopsMetadata metadata, SopsFormat format)
    {
        var block = metadata.ToTree();
        var withMetadata = branches.Select(b =>
        {
            var copy = new SMap();
            copy.Items.AddRange(b.Items);
            copy.Add("sops", block);
            return copy;
        }).ToList();
        return format switch
        {
            SopsFormat.Yaml => SopsYamlStore.Emit(withMetadata),
            SopsFormat.Json or SopsFormat.Binary => SopsJsonStore.Emit(withMetadata[0]),
            _ => throw new SopsException($"writing {format} files is not supported (read only)"),
        };
    }

    private static string DecodeUtf8(ReadOnlySpan<byte> data)
    {
        try
        {
            var text = new UTF8Encoding(false, true).GetString(data);
            return text.Length > 0 && text[0] == '\uFEFF' ? text[1..] : text;
        }
        catch (DecoderFallbackException)
        {
            throw new SopsException("the file is not valid UTF-8");
        }
    }
}
