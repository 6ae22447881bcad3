using System.Globalization;
using System.Text.RegularExpressions;

namespace RunbookHost.Runbooks;

/// <summary>One declared `--param`. Values are checked against the declaration before anything runs.</summary>
public sealed partial record RunbookParameter(
    string Name,
    bool Required,
    string? Default,
    IReadOnlyList<string> Allowed,
    bool IsInteger,
    bool IsSecret,
    string Description)
{
    public const int MaxValueLength = 256;

    internal static RunbookParameter Parse(string displayPath, int line, string text)
    {
        var words = text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        if (words.Length == 0 || !RunbookMetadata.NamePattern().IsMatch(words[0]))
            throw new RunbookDefinitionException($"{displayPath}({line}): @param needs a name of lowercase letters, digits and '-'");
        bool required = false, integer = false, secret = false;
        string? fallback = null;
        IReadOnlyList<string> allowed = [];
        var index = 1;
        for (; index < words.Length; index++)
        {
            var word = words[index];
            if (word == "required") required = true;
            else if (word == "secret") secret = true;
            else if (word == "type=int") integer = true;
            else if (word.StartsWith("default=", StringComparison.Ordinal)) fallback = word["default=".Length..];
            else if (word.StartsWith("allowed=", StringComparison.Ordinal)) allowed = word["allowed=".Length..].Split('|');
            else break;
        }
        var description = string.Join(' ', words[index..]);
        if (required && fallback is not null)
            throw new RunbookDefinitionException($"{displayPath}({line}): parameter '{words[0]}' cannot be both required and defaulted");
        return new RunbookParameter(words[0], required, fallback, allowed, integer, secret, description);
    }

    /// <summary>Returns an error sentence, or null when the value is acceptable. Never echoes the value.</summary>
    public string? Check(string value)
    {
        if (value.Length > MaxValueLength)
            return $"--param {Name} is longer than {MaxValueLength} characters";
        if (!SafeValue().IsMatch(value))
            return $"--param {Name} contains characters outside printable ASCII";
        if (Allowed.Count > 0 && !Allowed.Contains(value, StringComparer.Ordinal))
            return $"--param {Name} must be one of {string.Join(", ", Allowed)}";
        if (IsInteger && !int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out _))
            return $"--param {Name} must be a non-negative whole number";
        return null;
    }

    [GeneratedRegex(@"^[\x21-\x7E]*\z")]
    private static partial Regex SafeValue();
}
