using System.Globalization;

namespace RunbookHost.Keys.Sops;

/// <summary>The <c>sops</c> block of an encrypted file, as far as this implementation uses it.</summary>
public sealed class SopsMetadata
{
    public IReadOnlyList<SopsAgeStanza> Age { get; init; } = [];
    /// <summary>PGP fingerprints of <c>pgp</c> entries (read only; PGP unwrapping is not implemented).</summary>
    public IReadOnlyList<string> PgpFingerprints { get; init; } = [];
    /// <summary>True when the file also has kms, gcp_kms, azure_kv, hc_vault or pgp entries.</summary>
    public bool HasNonAgeKeys { get; init; }
    /// <summary>The <c>lastmodified</c> value as written in the file.</summary>
    public string LastModified { get; init; } = "";
    public string? Mac { get; init; }
    public string Version { get; init; } = "";
    public string? UnencryptedSuffix { get; init; }
    public string? EncryptedSuffix { get; init; }
    public string? UnencryptedRegex { get; init; }
    public string? EncryptedRegex { get; init; }
    public bool MacOnlyEncrypted { get; init; }

    public string? UnencryptedCommentRegex { get; init; }
    public string? EncryptedCommentRegex { get; init; }

    internal SopsSelectors Selectors => SopsSelectors.Create(UnencryptedSuffix, EncryptedSuffix, UnencryptedRegex, EncryptedRegex, UnencryptedCommentRegex, EncryptedCommentRegex, MacOnlyEncrypted);

    /// <summary>Go RFC3339 (no fraction) of <see cref="LastModified"/>: the AAD of the MAC.</summary>
    internal string MacAad => FormatRfc3339(ParseTime(LastModified));

    internal static DateTimeOffset ParseTime(string s)
    {
        if (!DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t))
            throw new SopsException("sops metadata has an invalid lastmodified");
        return t;
    }

    internal static string FormatRfc3339(DateTimeOffset t)
    {
        var zone = t.Offset == TimeSpan.Zero ? "Z" : (t.Offset < TimeSpan.Zero ? "-" : "+") + t.Offset.Duration().ToString("hh\\:mm", CultureInfo.InvariantCulture);
        return t.ToString("yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture) + zone;
    }

    private static readonly string[] OtherKeySources = ["kms", "gcp_kms", "azure_kv", "hc_vault", "pgp"];

    internal static SopsMetadata FromTree(SNode? node)
    {
        if (node is not SMap m)
            throw new SopsException("sops metadata not found: the file is not encrypted with sops");
        string? Str(string key)
        {
            var v = m.Get(key);
            return v switch
            {
                null => null,
                SScalar { Kind: ScalarKind.Null } => null,
                SScalar s => s.Text,
                _ => throw new SopsException($"sops metadata field '{key}' has an invalid type"),
            };
        }
        if (m.Get("key_groups") is SList { Items.Count: > 0 } groups)
        {
            // One group is no Shamir split: every key in it wraps the whole data key.
            if (groups.Items.Count(i => i is not SComment) != 1 || groups.Items.First(i => i is not SComment) is not SMap group)
                throw new SopsException("sops key_groups with more than one group (Shamir secret sharing) are not supported");
            if (OtherKeySources.Any(k => group.Get(k) is SList { Items.Count: > 0 }) || group.Get("age") is not SList)
                throw new SopsException("sops key_groups are only supported with age keys");
            return FromTree(MergeGroup(node, group));
        }
        var age = new List<SopsAgeStanza>();
        if (m.Get("age") is SList ageList)
        {
            foreach (var item in ageList.Items)
            {
                if (item is SComment) continue;
                if (item is not SMap entry || entry.Get("recipient") is not SScalar r || entry.Get("enc") is not SScalar e)
                    throw new SopsException("sops metadata has an invalid age entry");
                age.Add(new SopsAgeStanza(r.Text, e.Text));
            }
        }
        var pgp = new List<string>();
        if (m.Get("pgp") is SList pgpList)
            foreach (var item in pgpList.Items)
                if (item is SMap entry && entry.Get("fp") is SScalar fp)
                    pgp.Add(fp.Text);
        var hasOther = OtherKeySources.Any(k => m.Get(k) is SList { Items.Count: > 0 });
        var lastModified = m.Get("lastmodified") is SScalar lm ? lm.Text : throw new SopsException("sops metadata has no lastmodified");
        var macOnly = m.Get("mac_only_encrypted") switch
        {
            SScalar { Kind: ScalarKind.Bool } b => b.BoolValue,
            SScalar s when s.Kind == ScalarKind.Str => string.Equals(s.Text, "true", StringComparison.OrdinalIgnoreCase),
            _ => false,
        };
        var md = new SopsMetadata
        {
            Age = age,
            PgpFingerprints = pgp,
            HasNonAgeKeys = hasOther,
            LastModified = lastModified,
            Mac = Str("mac"),
            Version = Str("version") ?? "",
            UnencryptedSuffix = NullIfEmpty(Str("unencrypted_suffix")),
            EncryptedSuffix = NullIfEmpty(Str("encrypted_suffix")),
            UnencryptedRegex = NullIfEmpty(Str("unencrypted_regex")),
            EncryptedRegex = NullIfEmpty(Str("encrypted_regex")),
            UnencryptedCommentRegex = NullIfEmpty(Str("unencrypted_comment_regex")),
            EncryptedCommentRegex = NullIfEmpty(Str("encrypted_comment_regex")),
            MacOnlyEncrypted = macOnly,
        };
        _ = md.MacAad; // validate lastmodified early
        _ = md.Selectors; // validate selectors early (at most one, regexes compile)
        return md;
    }

    /// <summary>The top-level fields with the single key group's keys in place of <c>key_groups</c>.</summary>
    private static SMap MergeGroup(SNode node, SMap group)
    {
        var merged = new SMap();
        foreach (var item in ((SMap)node).Items)
            if (item.Key is not ("key_groups" or "shamir_threshold" or "age" or "pgp" or "kms" or "gcp_kms" or "azure_kv" or "hc_vault"))
                merged.Items.Add(item);
        merged.Add("age", group.Get("age")!);
        return merged;
    }

    private static string? NullIfEmpty(string? s) => string.IsNullOrEmpty(s) ? null : s;

    /// <summary>The metadata block in sops 3.13 layout: every map's keys sorted.</summary>
    internal SMap ToTree()
    {
        var m = new SMap();
        if (Age.Count > 0)
        {
            var list = new SList();
            foreach (var a in Age)
            {
                var entry = new SMap();
                entry.Add("enc", SScalar.Str(a.Enc));
                entry.Add("recipient", SScalar.Str(a.Recipient));
                list.Items.Add(entry);
            }
            m.Add("age", list);
        }
        if (EncryptedCommentRegex is not null) m.Add("encrypted_comment_regex", SScalar.Str(EncryptedCommentRegex));
        if (EncryptedRegex is not null) m.Add("encrypted_regex", SScalar.Str(EncryptedRegex));
        if (EncryptedSuffix is not null) m.Add("encrypted_suffix", SScalar.Str(EncryptedSuffix));
        m.Add("lastmodified", SScalar.Str(LastModified));
        if (Mac is not null) m.Add("mac", SScalar.Str(Mac));
        if (MacOnlyEncrypted) m.Add("mac_only_encrypted", SScalar.Bool(true));
        if (UnencryptedCommentRegex is not null) m.Add("unencrypted_comment_regex", SScalar.Str(UnencryptedCommentRegex));
        if (UnencryptedRegex is not null) m.Add("unencrypted_regex", SScalar.Str(UnencryptedRegex));
        if (UnencryptedSuffix is not null) m.Add("unencrypted_suffix", SScalar.Str(UnencryptedSuffix));
        m.Add("version", SScalar.Str(Version));
        return m;
    }
}
