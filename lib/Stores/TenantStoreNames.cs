using RunbookHost.Tenants;

namespace RunbookHost.Stores;

/// <summary>
/// The only place store names are derived, and only from a validated <see cref="TenantId"/>
/// (a-z0-9, so every name below is a valid identifier, key prefix and pattern without escaping).
/// </summary>
public static class TenantStoreNames
{
    public static string PostgresDatabase(TenantId tenant) => $"tenant_{tenant.Value}";

    public static string PostgresRole(TenantId tenant) => $"tenant_{tenant.Value}_user";

    /// <summary>Schema owned by the tenant role inside its database; the role's search_path points at it.</summary>
    public const string PostgresSchema = "app";

    public static string RedisUser(TenantId tenant) => $"tenant_{tenant.Value}_user";

    /// <summary>"tenant:{id}:" — every key the tenant may touch starts with this.</summary>
    public static string RedisKeyPrefix(TenantId tenant) => $"tenant:{tenant.Value}:";

    /// <summary>"tenant:{id}:*" — the tenant's key and channel pattern.</summary>
    public static string RedisKeyPattern(TenantId tenant) => $"tenant:{tenant.Value}:*";

    /// <summary>Tenant id from a database name made by <see cref="PostgresDatabase"/>, or null.</summary>
    public static TenantId? TenantOfPostgresDatabase(string name) =>
        Strip(name, "tenant_", "");

    /// <summary>Tenant id from a role or Redis user name made by <see cref="PostgresRole"/>/<see cref="RedisUser"/>, or null.</summary>
    public static TenantId? TenantOfUser(string name) => Strip(name, "tenant_", "_user");

    private static TenantId? Strip(string name, string prefix, string suffix)
    {
        if (!name.StartsWith(prefix, StringComparison.Ordinal) || !name.EndsWith(suffix, StringComparison.Ordinal)
            || name.Length <= prefix.Length + suffix.Length)
            return null;
        var middle = name[prefix.Length..^suffix.Length];
        return TenantId.TryParse(middle, out var id, out _) ? id : null;
    }
}
