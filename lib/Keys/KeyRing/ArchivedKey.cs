using System.Globalization;
using System.Text.RegularExpressions;

namespace RunbookHost.Keys.KeyRing;

/// <summary>An archived private key file (status ARCHIVED, spec §8.3). Never holds key material.</summary>
public sealed partial record ArchivedKey(string Path, DateOnly ArchivedOn, int Sequence, string PublicKey)
{
    public string FileName => System.IO.Path.GetFileName(Path);

    /// <summary>Whole days from the archive date to <paramref name="today"/>.</summary>
    public int AgeInDays(DateOnly today) => today.DayNumber - ArchivedOn.DayNumber;

    internal static bool TryParseName(string fileName, out DateOnly day, out int sequence)
    {
        day = default;
        sequence = 0;
        var match = NamePattern().Match(fileName);
        if (!match.Success || !DateOnly.TryParseExact(match.Groups[1].Value, "yyyyMMdd", CultureInfo.InvariantCulture, DateTimeStyles.None, out day))
            return false;
        sequence = match.Groups[2].Success ? int.Parse(match.Groups[2].Value, CultureInfo.InvariantCulture) : 1;
        return sequence >= 1;
    }

    [GeneratedRegex(@"^key-([0-9]{8})(?:-([1-9][0-9]{0,3}))?-archived\.age\z", RegexOptions.CultureInvariant)]
    private static partial Regex NamePattern();
}
