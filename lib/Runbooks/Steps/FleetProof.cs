using RunbookHost.Evidence;
using RunbookHost.Tenants;

namespace RunbookHost.Runbooks.Steps;

/// <summary>
/// The fleet-wide isolation proof, not quadratic in logins: from each store's own view of every
/// tenant principal (PostgreSQL catalog privileges, Redis ACL rules, MinIO attached policies, Qdrant
/// token claims), every (tenant principal × other tenant namespace) pair must be denied.
/// </summary>
public static class FleetProof
{
    public static async Task<IReadOnlyList<CheckRecord>> RunAsync(RunbookServices services, IReadOnlyList<TenantId> tenants, CancellationToken cancellationToken)
    {
        var checks = new List<CheckRecord>
        {
            await services.Postgres.VerifyFleet(tenants, cancellationToken),
            await services.Redis.VerifyFleet(tenants, cancellationToken),
            await services.Minio.VerifyFleet(cancellationToken),
        };
        checks.AddRange(services.Qdrant.VerifyFleet(tenants));
        return checks;
    }
}
