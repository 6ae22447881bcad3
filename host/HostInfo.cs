using System.Reflection;
using System.Text.RegularExpressions;

namespace RunbookHost.Cli;

internal static partial class HostInfo
{
    // The SDK appends "+<SourceRevisionId>" to the informational version: the git commit the host was built from
    // (SourceLink reads it from the checkout; outside one, pass -p:SourceRevisionId=<commit> or it is absent).
    private static readonly string Informational =
        typeof(HostInfo).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0";

    public static string Version { get; } = Informational.Split('+')[0];

    /// <summary>The full 40-hex git commit the host was built from, or null when the build did not know it.</summary>
    public static string? Commit { get; } = CommitOf(Informational);

    /// <summary>What <c>runbook-host --version</c> prints.</summary>
    public static string VersionLine => $"{Version} (commit {Commit ?? "unknown"})";

    /// <summary>Who ran it, for the evidence: user@host. Not a secret, and not authenticated: the evidence says so.</summary>
    public static string Operator => $"{Environment.UserName}@{Environment.MachineName}";

    [GeneratedRegex("^[0-9a-f]{40}$")]
    private static partial Regex FullCommit();

    internal static string? CommitOf(string informationalVersion)
    {
        var plus = informationalVersion.IndexOf('+');
        var revision = plus < 0 ? "" : informationalVersion[(plus + 1)..].ToLowerInvariant();
        return FullCommit().IsMatch(revision) ? revision : null;
    }
}
