using System.Text.RegularExpressions;
using RunbookHost.Evidence;

namespace RunbookHost.Report;

/// <summary>
/// A check's spec section: the leading "§x.y" of the step that recorded it. v2 checks name their step; v1 checks do
/// not, so the section is taken from the run's §-named steps that mention the check's store (all of them must agree),
/// else it is "unknown".
/// </summary>
public static partial class CheckSections
{
    public const string Unknown = "unknown";

    public static string Of(CheckRecord check, IReadOnlyList<StepRecord> steps)
    {
        if (check.Step is { } step)
            return Leading(step) ?? Unknown;
        if (check.Store.Length == 0)
            return Unknown;
        var candidates = steps
            .Where(s => s.Name.Contains(check.Store, StringComparison.OrdinalIgnoreCase))
            .Select(s => Leading(s.Name))
            .OfType<string>()
            .Distinct(StringComparer.Ordinal)
            .ToList();
        return candidates.Count == 1 ? candidates[0] : Unknown;
    }

    /// <summary>"§9.1.2" from "§9.1.2 PostgreSQL: …"; null when the name does not start with a section.</summary>
    public static string? Leading(string name)
    {
        var match = Section().Match(name);
        return match.Success ? match.Value : null;
    }

    [GeneratedRegex(@"\A§[0-9]+(\.[0-9]+)*")]
    private static partial Regex Section();
}
