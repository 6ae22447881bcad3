using RunbookHost.Tenants;

namespace RunbookHost.Stores.Qdrant;

/// <summary>
/// Spec §4.2 application guard: a tenant may only ever name its own collection `tenant_{id}`.
/// Kept in addition to server-side JWT RBAC so a host bug cannot route tenant A's data to tenant B
/// even with the admin key.
/// </summary>
public static class QdrantTenantGuard
{
    public const string Prefix = "tenant_";

    public static string CollectionName(TenantId tenant)
    {
        ArgumentNullException.ThrowIfNull(tenant);
        return Prefix + tenant.Value;
    }

    /// <summary>Throws <see cref="QdrantTenantAccessException"/> unless <paramref name="collectionName"/> is the tenant's own collection.</summary>
    public static void Verify(TenantId tenant, string? collectionName)
    {
        var expected = CollectionName(tenant);
        if (!string.Equals(collectionName, expected, StringComparison.Ordinal))
            throw new QdrantTenantAccessException(tenant, expected);
    }
}

/// <summary>The message names the tenant and its own collection but never echoes the refused name (it may be hostile).</summary>
public sealed class QdrantTenantAccessException(TenantId tenant, string expected)
    : UnauthorizedAccessException($"Tenant {tenant.Value} may only access Qdrant collection {expected}; the requested collection was refused by the tenant guard.");

/// <summary>A Qdrant provisioning or verification step failed; never carries keys or tokens.</summary>
public sealed class QdrantStoreException(string message, Exception? inner = null) : Exception(message, inner);
