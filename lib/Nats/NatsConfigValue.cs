namespace RunbookHost.Nats;

/// <summary>
/// The only way a value reaches nats-server's configuration file: as a double-quoted string of printable ASCII
/// without quote or backslash. Inside double quotes nats-server's lexer (conf/lex.go, lexDubQuotedString) expands
/// no variable ($name), no include and no escape we did not write, so a value can never close its string and
/// become configuration. Anything else is refused, never escaped: a path or name that needs escaping is a mistake.
/// </summary>
public static class NatsConfigValue
{
    public static string Quote(string value)
    {
        if (!IsQuotable(value, out var reason))
            throw new ArgumentException($"refused as a nats-server configuration value: {reason}");
        return "\"" + value + "\"";
    }

    public static bool IsQuotable(string value, out string reason)
    {
        reason = "";
        if (string.IsNullOrEmpty(value))
            reason = "it is empty";
        else if (value.Length > 4096)
            reason = "it is longer than 4096 characters";
        else if (value.Any(c => c is < ' ' or > '~'))
            reason = "it contains a control or non-ASCII character";
        else if (value.Contains('"') || value.Contains('\\'))
            reason = "it contains a double quote or a backslash";
        return reason.Length == 0;
    }

    /// <summary>An absolute file path, quoted.</summary>
    public static string QuotePath(string path, string what)
    {
        if (!Path.IsPathFullyQualified(path))
            throw new ArgumentException($"{what} must be an absolute path");
        if (!IsQuotable(path, out var reason))
            throw new ArgumentException($"{what} is refused: {reason}");
        return Quote(path);
    }
}
