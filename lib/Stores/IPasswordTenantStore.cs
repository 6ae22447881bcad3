using RunbookHost.Evidence;
using RunbookHost.Tenants;

namespace RunbookHost.Stores;

/// <summary>A store whose tenant principal is a user with a password (PostgreSQL role, Redis ACL user).</summary>
public interface IPasswordTenantStore
{
    StorePlan PlanProvision(TenantId tenant, string password);

    Task ProvisionAsync(TenantId tenant, string password, CancellationToken cancellationToken = default);

    StorePlan PlanDeprovision(TenantId tenant);

    /// <summary>
    /// Ends every open session of the tenant's principal. A new password only refuses new logins: after an
    /// emergency rotation (§7.4) a session opened with the leaked one would otherwise stay usable.
    /// </summary>
    StorePlan PlanEndSessions(TenantId tenant);

    Task DeprovisionAsync(TenantId tenant, CancellationToken cancellationToken = default);

    /// <summary>Live checks as the tenant, with its password; <paramref name="otherTenant"/> is probed for denial.</summary>
    Task<IReadOnlyList<CheckRecord>> VerifyAsync(TenantId tenant, string password, TenantId? otherTenant = null, CancellationToken cancellationToken = default);
}
