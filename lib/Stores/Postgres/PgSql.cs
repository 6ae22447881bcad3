namespace RunbookHost.Stores.Postgres;

/// <summary>The single quoting function for SQL identifiers and literals built by this library.</summary>
public static class PgSql
{
    /// <summary>Double-quoted identifier, embedded double quotes doubled. Used for every database, role and schema name.</summary>
    public static string Ident(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (name.Contains('\0', StringComparison.Ordinal))
            throw new ArgumentException("identifier contains NUL", nameof(name));
        return "\"" + name.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
    }

    /// <summary>Single-quoted literal for utility statements that take no parameters (standard_conforming_strings=on).</summary>
    public static string Literal(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (value.Contains('\0', StringComparison.Ordinal) || value.Contains('\\', StringComparison.Ordinal))
            throw new ArgumentException("literal contains NUL or backslash", nameof(value));
        return "'" + value.Replace("'", "''", StringComparison.Ordinal) + "'";
    }
}
