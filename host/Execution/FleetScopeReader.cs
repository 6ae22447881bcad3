using RunbookHost.Registry;
using RunbookHost.Runbooks;
using RunbookHost.Tenants;

namespace RunbookHost.Cli.Execution;

/// <summary>Reads the fleet's three views for a fleet-wide run: the registry's tenants and components, and the evidence folder's tenant chains.</summary>
internal static class FleetScopeReader
{
    public static async Task<FleetScope> Read(TenantRegistry? registry, string? registryProblem, string evidenceRoot,
        IReadOnlyList<FleetMember>? verified, CancellationToken cancellationToken)
    {
        var withEvidence = TenantsWithEvidence(evidenceRoot);
        if (registry is null)
        {
            return new FleetScope
            {
                Active = [], Registered = [], Components = new Dictionary<TenantId, IReadOnlyList<TenantComponent>>(),
                RegistryUnknownBecause = registryProblem ?? "no registry", WithEvidence = withEvidence, Verified = verified,
                CancellationToken = cancellationToken,
            };
        }
        var all = await registry.ListAsync(null, cancellationToken);
        return new FleetScope
        {
            Active = all.Where(t => t.Status == TenantStatus.Active).Select(t => t.TenantId).ToList(),
            Registered = all.Select(t => t.TenantId).ToList(),
            Components = await registry.ListComponentsAsync(null, cancellationToken),
            WithEvidence = withEvidence,
            Verified = verified,
            CancellationToken = cancellationToken,
        };
    }

    /// <summary>Tenant folders that hold at least one evidence file (a folder whose name is not a tenant id is not a tenant).</summary>
    private static IReadOnlyList<TenantId> TenantsWithEvidence(string evidenceRoot)
    {
        if (!Directory.Exists(evidenceRoot))
            return [];
        return Directory.EnumerateDirectories(evidenceRoot)
            .Select(dir => (Dir: dir, Ok: TenantId.TryParse(Path.GetFileName(dir), out var id, out _), Id: id))
            .Where(t => t.Ok && Directory.EnumerateFiles(t.Dir, "*.json").Any(f => !Path.GetFileName(f).StartsWith('.')))
            .Select(t => t.Id!)
            .OrderBy(t => t.Value, StringComparer.Ordinal)
            .ToList();
    }
}
