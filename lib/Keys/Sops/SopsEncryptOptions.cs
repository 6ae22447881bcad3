using System.Text.RegularExpressions;

namespace RunbookHost.Keys.Sops;

/// <summary>
/// What to encrypt for and which values to encrypt. At most one of the six selectors may be set;
/// with none set, sops' default (<c>UnencryptedSuffix = "_unencrypted"</c>) applies.
/// </summary>
public sealed record SopsEncryptOptions
{
    public const string DefaultUnencryptedSuffix = "_unencrypted";

    public IReadOnlyList<string> AgeRecipients { get; init; } = [];
    public string? UnencryptedSuffix { get; init; }
    public string? EncryptedSuffix { get; init; }
    public string? UnencryptedRegex { get; init; }
    public string? EncryptedRegex { get; init; }
    /// <summary>Values (and comments) after a comment matching this stay clear (sops <c>unencrypted_comment_regex</c>).</summary>
    public string? UnencryptedCommentRegex { get; init; }
    /// <summary>Only values (and comments) after a comment matching this are encrypted (sops <c>encrypted_comment_regex</c>).</summary>
    public string? EncryptedCommentRegex { get; init; }
    /// <summary>MAC only the values that end up encrypted (sops <c>mac_only_encrypted</c>).</summary>
    public bool MacOnlyEncrypted { get; init; }

    internal SopsSelectors ToSelectors() => SopsSelectors.Create(UnencryptedSuffix, EncryptedSuffix, UnencryptedRegex, EncryptedRegex, UnencryptedCommentRegex, EncryptedCommentRegex, MacOnlyEncrypted);
}

/// <summary>
/// sops' <c>shouldBeEncrypted</c>: decided by the keys on a value's path (list indices excluded)
/// and, for the comment selectors, by the comments that precede it at each level.
/// </summary>
internal sealed class SopsSelectors
{
    private static readonly TimeSpan RegexTimeout = TimeSpan.FromSeconds(2);
    private Regex? _unencryptedRegex;
    private Regex? _encryptedRegex;
    private Regex? _unencryptedCommentRegex;
    private Regex? _encryptedCommentRegex;

    public string? UnencryptedSuffix { get; private init; }
    public string? EncryptedSuffix { get; private init; }
    public string? UnencryptedRegex { get; private init; }
    public string? EncryptedRegex { get; private init; }
    public string? UnencryptedCommentRegex { get; private init; }
    public string? EncryptedCommentRegex { get; private init; }
    public bool MacOnlyEncrypted { get; private init; }

    /// <summary>Validates "at most one selector" and applies sops' default suffix when none is set.</summary>
    public static SopsSelectors Create(string? unencryptedSuffix, string? encryptedSuffix, string? unencryptedRegex, string? encryptedRegex, string? unencryptedCommentRegex, string? encryptedCommentRegex, bool macOnlyEncrypted)
    {
        string? N(string? s) => string.IsNullOrEmpty(s) ? null : s;
        var all = new[] { unencryptedSuffix, encryptedSuffix, unencryptedRegex, encryptedRegex, unencryptedCommentRegex, encryptedCommentRegex };
        var set = all.Count(s => !string.IsNullOrEmpty(s));
        if (set > 1)
            throw new SopsException("only one of unencrypted_suffix, encrypted_suffix, unencrypted_regex, encrypted_regex, unencrypted_comment_regex, encrypted_comment_regex may be set");
        var s = new SopsSelectors
        {
            UnencryptedSuffix = set == 0 ? SopsEncryptOptions.DefaultUnencryptedSuffix : N(unencryptedSuffix),
            EncryptedSuffix = N(encryptedSuffix),
            UnencryptedRegex = N(unencryptedRegex),
            EncryptedRegex = N(encryptedRegex),
            UnencryptedCommentRegex = N(unencryptedCommentRegex),
            EncryptedCommentRegex = N(encryptedCommentRegex),
            MacOnlyEncrypted = macOnlyEncrypted,
        };
        s._unencryptedRegex = Compile(s.UnencryptedRegex);
        s._encryptedRegex = Compile(s.EncryptedRegex);
        s._unencryptedCommentRegex = Compile(s.UnencryptedCommentRegex);
        s._encryptedCommentRegex = Compile(s.EncryptedCommentRegex);
        return s;
    }

    private static Regex? Compile(string? pattern)
    {
        if (pattern is null) return null;
        try
        {
            return new Regex(pattern, RegexOptions.CultureInvariant, RegexTimeout);
        }
        catch (ArgumentException)
        {
            throw new SopsException("invalid selector regular expression");
        }
    }

    /// <param name="path">Keys from the root to the value (or to the mapping holding a comment).</param>
    /// <param name="comments">Per nesting level, the comments seen since the last value at that level.</param>
    /// <param name="isComment">The leaf is itself a comment (the last entry of <paramref name="comments"/>).</param>
    public bool ShouldEncrypt(IReadOnlyList<string> path, IReadOnlyList<List<string>> comments, bool isComment)
    {
        var encrypted = true;
        if (UnencryptedSuffix is not null && path.Any(p => p.EndsWith(UnencryptedSuffix, StringComparison.Ordinal)))
            encrypted = false;
        if (EncryptedSuffix is not null)
            encrypted = path.Any(p => p.EndsWith(EncryptedSuffix, StringComparison.Ordinal));
        if (_unencryptedRegex is not null && path.Any(p => _unencryptedRegex.IsMatch(p)))
            encrypted = false;
        if (_encryptedRegex is not null)
            encrypted = path.Any(p => _encryptedRegex.IsMatch(p));
        if (_unencryptedCommentRegex is not null && comments.Any(level => level.Any(c => _unencryptedCommentRegex.IsMatch(c))))
            encrypted = false;
        if (_encryptedCommentRegex is not null)
        {
            encrypted = false;
            for (var i = 0; i < comments.Count && !encrypted; i++)
            {
                for (var j = 0; j < comments[i].Count; j++)
                {
                    // A matching comment does not encrypt itself, only what follows it.
                    if (isComment && i == comments.Count - 1 && j == comments[i].Count - 1) continue;
                    if (_encryptedCommentRegex.IsMatch(comments[i][j]))
                    {
                        encrypted = true;
                        break;
                    }
                }
            }
        }
        return encrypted;
    }
}
