using System.Reflection;

namespace RunbookHost.Cli;

internal static class HostInfo
{
    public static string Version { get; } =
        typeof(HostInfo).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0";

    /// <summary>Who ran it, for the evidence: user@host. Not a secret, and not authenticated: the evidence says so.</summary>
    public static string Operator => $"{Environment.UserName}@{Environment.MachineName}";
}
