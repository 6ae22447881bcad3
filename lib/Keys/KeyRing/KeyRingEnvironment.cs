using System.Globalization;
using RunbookHost.Registry;

namespace RunbookHost.Keys.KeyRing;

/// <summary>
/// Interim settings for runbooks, read from the same <c>RUNBOOKHOST_*</c> variables the host binds
/// (<c>runbook-host.json</c> is not read here). To be replaced by <c>RunbookContext.Settings</c> /
/// <c>RunbookContext.Keys</c> once the engine exposes them.
/// </summary>
public static class KeyRingEnvironment
{
    public static string SecretsPath => Read("RUNBOOKHOST_Paths__Secrets") ?? "./.secrets";

    public static int RotationDays => ReadInt("RUNBOOKHOST_Keys__RotationDays", 90);

    public static int ArchiveRetentionDays => ReadInt("RUNBOOKHOST_Keys__ArchiveRetentionDays", 90);

    /// <summary>The control-plane registry, or null when no PostgreSQL admin connection is configured.</summary>
    public static TenantRegistry? Registry()
    {
        var connection = Read("RUNBOOKHOST_Postgres__AdminConnectionString");
        if (connection is null)
            return null;
        return new TenantRegistry(connection, Read("RUNBOOKHOST_Registry__Database") ?? "runbook_host");
    }

    private static string? Read(string name)
    {
        var value = Environment.GetEnvironmentVariable(name);
        return string.IsNullOrWhiteSpace(value) ? null : value;
    }

    private static int ReadInt(string name, int fallback)
    {
        var text = Read(name);
        if (text is null)
            return fallback;
        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value >= 0
            ? value
            : throw new KeyRingException($"{name} must be a non-negative whole number of days");
    }
}
