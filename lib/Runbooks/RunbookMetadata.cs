using System.Text.RegularExpressions;

namespace RunbookHost.Runbooks;

/// <summary>
/// The header a runbook declares in its first comment lines, read without compiling it:
/// <code>
/// // @runbook  rotate-keys
/// // @version  1.2.0
/// // @summary  Rotate a tenant's age key (spec §7.2)
/// // @param    reason  required  allowed=scheduled|emergency|personnel  Why the key is rotated
/// // @param    retention-days  default=90  type=int  Days archived keys are kept
/// </code>
/// Files under <c>shared/</c> are step libraries for <c>#load</c>; they declare <c>@shared</c> instead of <c>@runbook</c>.
/// A runbook that proves something about the whole fleet declares <c>// @scope fleet</c> (default: <c>tenant</c>): it runs
/// once, without <c>--tenant</c>, with <see cref="FleetRunbook"/> as its globals.
/// </summary>
public sealed partial record RunbookMetadata(
    string Name,
    string Version,
    string Summary,
    bool IsShared,
    IReadOnlyList<RunbookParameter> Parameters,
    string Scope = RunbookScopes.Tenant)
{
    public bool IsFleet => Scope == RunbookScopes.Fleet;

    public static RunbookMetadata Parse(string displayPath, IEnumerable<string> lines)
    {
        string? name = null, version = null, summary = null;
        var scope = RunbookScopes.Tenant;
        var shared = false;
        var parameters = new List<RunbookParameter>();
        var lineNumber = 0;
        foreach (var raw in lines)
        {
            lineNumber++;
            var line = raw.Trim();
            if (line.Length == 0)
                continue;
            if (!line.StartsWith("//", StringComparison.Ordinal))
                break; // the header ends at the first line of code
            var match = Directive().Match(line);
            if (!match.Success)
                continue;
            var value = match.Groups["value"].Value.Trim();
            switch (match.Groups["key"].Value)
            {
                case "runbook": name = value; break;
                case "shared": name = value; shared = true; break;
                case "version": version = value; break;
                case "summary": summary = value; break;
                case "scope":
                    scope = value is RunbookScopes.Tenant or RunbookScopes.Fleet ? value
                        : throw new RunbookDefinitionException($"{displayPath}({lineNumber}): @scope is 'tenant' or 'fleet'");
                    break;
                case "param": parameters.Add(RunbookParameter.Parse(displayPath, lineNumber, value)); break;
                default: throw new RunbookDefinitionException($"{displayPath}({lineNumber}): unknown header directive @{match.Groups["key"].Value}");
            }
        }
        if (name is null || !NamePattern().IsMatch(name))
            throw new RunbookDefinitionException($"{displayPath}: header needs '// @runbook <name>' (lowercase letters, digits, '-')");
        if (version is null || !SemVer().IsMatch(version))
            throw new RunbookDefinitionException($"{displayPath}: header needs '// @version <major.minor.patch>'");
        if (string.IsNullOrWhiteSpace(summary))
            throw new RunbookDefinitionException($"{displayPath}: header needs '// @summary <one line>'");
        var duplicate = parameters.GroupBy(p => p.Name).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
            throw new RunbookDefinitionException($"{displayPath}: parameter '{duplicate.Key}' declared twice");
        return new RunbookMetadata(name, version, summary, shared, parameters, scope);
    }

    [GeneratedRegex(@"^//\s*@(?<key>[a-z]+)\s+(?<value>.+)\z")]
    private static partial Regex Directive();

    [GeneratedRegex(@"^[a-z][a-z0-9-]{0,63}\z")]
    internal static partial Regex NamePattern();

    [GeneratedRegex(@"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)\z")]
    private static partial Regex SemVer();
}

/// <summary>What a runbook runs for: one tenant at a time, or the whole fleet at once.</summary>
public static class RunbookScopes
{
    public const string Tenant = "tenant";
    public const string Fleet = "fleet";
}

public sealed class RunbookDefinitionException(string message) : Exception(message);
