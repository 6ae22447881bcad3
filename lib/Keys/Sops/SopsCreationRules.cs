using System.Text;
using System.Text.RegularExpressions;

namespace RunbookHost.Keys.Sops;

/// <summary>One <c>creation_rules</c> entry of a <c>.sops.yaml</c>.</summary>
public sealed record SopsCreationRule
{
    public string? PathRegex { get; init; }
    public IReadOnlyList<string> Age { get; init; } = [];
    public string? UnencryptedSuffix { get; init; }
    public string? EncryptedSuffix { get; init; }
    public string? UnencryptedRegex { get; init; }
    public string? EncryptedRegex { get; init; }
    public string? UnencryptedCommentRegex { get; init; }
    public string? EncryptedCommentRegex { get; init; }
    public bool MacOnlyEncrypted { get; init; }

    /// <summary>Encrypt options for this rule (age recipients and selectors).</summary>
    public SopsEncryptOptions ToEncryptOptions() => new()
    {
        AgeRecipients = Age,
        UnencryptedSuffix = UnencryptedSuffix,
        EncryptedSuffix = EncryptedSuffix,
        UnencryptedRegex = UnencryptedRegex,
        EncryptedRegex = EncryptedRegex,
        UnencryptedCommentRegex = UnencryptedCommentRegex,
        EncryptedCommentRegex = EncryptedCommentRegex,
        MacOnlyEncrypted = MacOnlyEncrypted,
    };
}

/// <summary>
/// Reads a <c>.sops.yaml</c> and picks the first creation rule whose <c>path_regex</c> matches,
/// as sops does (a rule without <c>path_regex</c> matches every file; the path is taken relative
/// to the config file's folder when it lies under it). Only age keys are taken from rules;
/// <c>key_groups</c> are refused.
/// </summary>
public sealed class SopsCreationRules
{
    private static readonly TimeSpan RegexTimeout = TimeSpan.FromSeconds(2);

    public IReadOnlyList<SopsCreationRule> Rules { get; }

    private SopsCreationRules(IReadOnlyList<SopsCreationRule> rules) => Rules = rules;

    public static SopsCreationRules Parse(string yaml)
    {
        ArgumentNullException.ThrowIfNull(yaml);
        var docs = SopsYamlStore.Load(yaml);
        var rules = new List<SopsCreationRule>();
        if (docs.Count == 0 || docs[0].Get("creation_rules") is not SList list)
            return new SopsCreationRules(rules);
        foreach (var node in list.Items)
        {
            if (node is SComment) continue;
            if (node is not SMap m) throw new SopsException(".sops.yaml: each creation rule must be a mapping");
            if (m.Get("key_groups") is SList { Items.Count: > 0 })
                throw new SopsException(".sops.yaml: key_groups are not supported; list age recipients in 'age'");
            var rule = new SopsCreationRule
            {
                PathRegex = Str(m, "path_regex"),
                Age = AgeList(m.Get("age")),
                UnencryptedSuffix = Str(m, "unencrypted_suffix"),
                EncryptedSuffix = Str(m, "encrypted_suffix"),
                UnencryptedRegex = Str(m, "unencrypted_regex"),
                EncryptedRegex = Str(m, "encrypted_regex"),
                UnencryptedCommentRegex = Str(m, "unencrypted_comment_regex"),
                EncryptedCommentRegex = Str(m, "encrypted_comment_regex"),
                MacOnlyEncrypted = m.Get("mac_only_encrypted") is SScalar { Kind: ScalarKind.Bool, BoolValue: true },
            };
            if (rule.PathRegex is not null) _ = MakeRegex(rule.PathRegex);
            rules.Add(rule);
        }
        return new SopsCreationRules(rules);
    }

    public static SopsCreationRules Load(ReadOnlySpan<byte> yaml) => Parse(Encoding.UTF8.GetString(yaml));

    /// <summary>The first rule matching <paramref name="filePath"/>, or a <see cref="SopsException"/>.</summary>
    public SopsCreationRule RuleFor(string filePath, string? configDirectory = null)
    {
        ArgumentNullException.ThrowIfNull(filePath);
        var path = filePath;
        if (configDirectory is not null)
        {
            var dir = Path.GetFullPath(configDirectory).TrimEnd(Path.DirectorySeparatorChar) + Path.DirectorySeparatorChar;
            var full = Path.GetFullPath(filePath);
            if (full.StartsWith(dir, StringComparison.Ordinal)) path = full[dir.Length..];
        }
        foreach (var rule in Rules)
        {
            if (rule.PathRegex is null || rule.PathRegex.Length == 0 || MakeRegex(rule.PathRegex).IsMatch(path))
                return rule;
        }
        throw new SopsException("no matching creation rule found in .sops.yaml");
    }

    private static Regex MakeRegex(string pattern)
    {
        try
        {
            return new Regex(pattern, RegexOptions.CultureInvariant, RegexTimeout);
        }
        catch (ArgumentException)
        {
            throw new SopsException(".sops.yaml: invalid path_regex");
        }
    }

    private static string? Str(SMap m, string key) => m.Get(key) switch
    {
        SScalar { Kind: ScalarKind.Null } => null,
        SScalar s => s.Text.Length == 0 ? null : s.Text,
        null => null,
        _ => throw new SopsException($".sops.yaml: '{key}' must be a string"),
    };

    private static List<string> AgeList(SNode? node) => node switch
    {
        null or SScalar { Kind: ScalarKind.Null } => [],
        SScalar s => s.Text.Split(',').Select(x => x.Trim()).Where(x => x.Length > 0).ToList(),
        SList l => l.Items.OfType<SScalar>().Select(x => x.Text.Trim()).Where(x => x.Length > 0).ToList(),
        _ => throw new SopsException(".sops.yaml: 'age' must be a string or a list"),
    };
}
