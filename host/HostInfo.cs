using System.Reflection;

namespace RunbookHost.Cli;

internal static class HostInfo
{
    private static readonly string Informational =
        typeof(HostInfo).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0";

    public static string Version { get; } = Informational.Split('+')[0];

    /// <summary>The commit the host was built from (the SDK appends it to the informational version in a git checkout), or null.</summary>
    public static string? Commit { get; } = Informational.Split('+') is [_, var sha] && sha.Length == 40 ? sha : null;

    /// <summary>Who ran it, for the evidence: user@host. Not a secret, and not authenticated: the evidence says so.</summary>
    public static string Operator => $"{Environment.UserName}@{Environment.MachineName}";
}
