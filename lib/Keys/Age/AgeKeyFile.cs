using System.Globalization;

namespace RunbookHost.Keys.Age;

/// <summary>age identity files, as written by age-keygen.</summary>
public static class AgeKeyFile
{
    /// <summary>"# created: RFC 3339\n# public key: age1...\nAGE-SECRET-KEY-1...\n", like age-keygen.</summary>
    public static string Format(AgeX25519Identity identity, DateTimeOffset created)
    {
        ArgumentNullException.ThrowIfNull(identity);
        var stamp = created.ToString("yyyy'-'MM'-'dd'T'HH':'mm':'ss", CultureInfo.InvariantCulture);
        if (created.Offset == TimeSpan.Zero)
        {
            stamp += "Z";
        }
        else
        {
            var offset = created.Offset;
            stamp += (offset < TimeSpan.Zero ? "-" : "+") + offset.Duration().ToString("hh':'mm", CultureInfo.InvariantCulture);
        }

        return $"# created: {stamp}\n# public key: {identity.Recipient}\n{identity.Encode()}\n";
    }

    /// <summary>
    /// Parses an identity file: one identity per line, lines starting with '#' and empty lines ignored,
    /// LF or CRLF. Errors name the line number, never its content.
    /// </summary>
    public static IReadOnlyList<IAgeIdentity> ParseIdentities(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var identities = new List<IAgeIdentity>();
        var lines = text.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i];
            if (line.EndsWith('\r'))
            {
                line = line[..^1];
            }

            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }

            try
            {
                identities.Add(AgeX25519Identity.Parse(line));
            }
            catch (AgeException e)
            {
                throw new AgeException(e.Kind, $"identity file line {i + 1}: {e.Message}");
            }
        }

        if (identities.Count == 0)
        {
            throw new AgeException(AgeErrorKind.InvalidKey, "identity file contains no secret keys");
        }

        return identities;
    }
}
