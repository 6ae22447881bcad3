using System.Text.RegularExpressions;

namespace RunbookHost.Keys.Sops;

/// <summary>
/// What to encrypt for and which values to encrypt. At most one of the four selectors may be set;
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
    /// <summary>MAC only the values that end up encrypted (sops <c>mac_only_encrypted</c>).</summary>
    public bool MacOnlyEncrypted { get; init; }

    internal SopsSelectors ToSelectors()
    {
        var set = new[] { UnencryptedSuffix, EncryptedSuffix, UnencryptedRegex, EncryptedRegex }.Count(s => !string.IsNullOrEmpty(s));
        if (set > 1)
            throw new SopsException("only one of UnencryptedSuffix, EncryptedSuffix, UnencryptedRegex, EncryptedRegex may be set");
        if (set == 0)
            return new SopsSelectors(DefaultUnencryptedSuffix, null, null, null, MacOnlyEncrypted);
        return new SopsSelectors(NullIfEmpty(UnencryptedSuffix), NullIfEmpty(EncryptedSuffix), NullIfEmpty(UnencryptedRegex), NullIfEmpty(EncryptedRegex), MacOnlyEncrypted);
    }

    private static string? NullIfEmpty(string? s) => string.IsNullOrEmpty(s) ? null : s;
}

/// <summary>sops' <c>shouldBeEncrypted</c>: decided by the keys on a value's path (list indices excluded).</summary>
internal sealed class SopsSelectors
{
    private static readonly TimeSpan RegexTimeout = TimeSpan.FromSeconds(2);
    private readonly Regex? _unencryptedRegex;
    private readonly Regex? _encryptedRegex;

    public SopsSelectors(string? unencryptedSuffix, string? encryptedSuffix, string? unencryptedRegex, string? encryptedRegex, bool macOnlyEncrypted)
    {
        UnencryptedSuffix = unencryptedSuffix;
        EncryptedSuffix = encryptedSuffix;
        UnencryptedRegex = unencryptedRegex;
        EncryptedRegex = encryptedRegex;
        MacOnlyEncrypted = macOnlyEncrypted;
        try
        {
            _unencryptedRegex = unencryptedRegex is null ? null : new Regex(unencryptedRegex, RegexOptions.CultureInvariant, RegexTimeout);
            _encryptedRegex = encryptedRegex is null ? null : new Regex(encryptedRegex, RegexOptions.CultureInvariant, RegexTimeout);
        }
        catch (ArgumentException)
        {
            throw new SopsException("invalid selector regular expression");
        }
    }

    public string? UnencryptedSuffix { get; }
    public string? EncryptedSuffix { get; }
    public string? UnencryptedRegex { get; }
    public string? EncryptedRegex { get; }
    public bool MacOnlyEncrypted { get; }

    public bool ShouldEncrypt(IReadOnlyList<string> path)
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
        return encrypted;
    }
}
