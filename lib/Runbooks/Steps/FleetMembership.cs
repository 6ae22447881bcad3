using RunbookHost.Evidence;
using RunbookHost.Stores;
using RunbookHost.Tenants;

namespace RunbookHost.Runbooks.Steps;

/// <summary>
/// The fleet's three views compared: any tenant present in one and absent from another is named, and makes the run
/// incomplete (a wrong or empty registry beside a folder of evidence must never look like a healthy empty fleet).
/// </summary>
internal static class FleetMembership
{
    private const string Store = "fleet";

    public static IReadOnlyList<CheckRecord> Check(FleetScope scope)
    {
        if (scope.RegistryUnknownBecause is { } why)
            return [CheckRecord.Incomplete(Store, "registry_tenants", $"the registry could not be read: {why}")];
        var checks = new List<CheckRecord>
        {
            Compare("evidence_tenants_registered", "have evidence chains but are unknown to the registry (a wrong or emptied registry?)",
                scope.WithEvidence.Except(scope.Registered).ToList(), $"{scope.WithEvidence.Count} tenants with evidence, all registered"),
            Compare("active_tenants_have_evidence", "are active in the registry but have no evidence chain (evidence folder moved or deleted?)",
                scope.Active.Except(scope.WithEvidence).ToList(), $"{scope.Active.Count} active tenants, all with evidence"),
        };
        if (scope.Verified is { } verified)
        {
            var ran = verified.Select(v => v.Tenant).ToList();
            checks.Add(Compare("verified_tenants_are_active", "were verified but are not active in the registry", ran.Except(scope.Active).ToList(),
                $"{ran.Count} tenants verified"));
            checks.Add(Compare("active_tenants_verified", "are active in the registry but were not verified", scope.Active.Except(ran).ToList(),
                $"{scope.Active.Count} active tenants, all verified"));
            checks.Add(Outcomes(verified));
        }
        return checks;
    }

    private static CheckRecord Compare(string test, string problem, IReadOnlyList<TenantId> odd, string passDetail) =>
        odd.Count == 0
            ? new(Store, test, CheckResults.Pass, default, true, passDetail)
            : CheckRecord.Incomplete(Store, test, $"{odd.Count} tenant(s) {problem}: {Names(odd)}");

    private static CheckRecord Outcomes(IReadOnlyList<FleetMember> verified)
    {
        var failed = verified.Where(v => v.Outcome == RunOutcomes.Failed).Select(v => v.Tenant).ToList();
        var incomplete = verified.Where(v => v.Outcome == RunOutcomes.Incomplete).Select(v => v.Tenant).ToList();
        if (failed.Count > 0)
            return new(Store, "tenant_runs_passed", CheckResults.Fail, default, false, $"{failed.Count} tenant run(s) failed: {Names(failed)}"
                + (incomplete.Count > 0 ? $"; {incomplete.Count} incomplete: {Names(incomplete)}" : ""));
        return incomplete.Count > 0
            ? CheckRecord.Incomplete(Store, "tenant_runs_passed", $"{incomplete.Count} tenant run(s) incomplete: {Names(incomplete)}")
            : new(Store, "tenant_runs_passed", CheckResults.Pass, default, true, $"{verified.Count} tenant runs passed");
    }

    /// <summary>At most 20 names, so a detail line stays readable at a thousand tenants.</summary>
    private static string Names(IReadOnlyList<TenantId> tenants) =>
        string.Join(", ", tenants.Take(20).Select(t => t.Value)) + (tenants.Count > 20 ? $" and {tenants.Count - 20} more" : "");
}
