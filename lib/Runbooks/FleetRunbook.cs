using RunbookHost.Runbooks.Steps;
using RunbookHost.Tenants;

namespace RunbookHost.Runbooks;

/// <summary>
/// The globals of a runbook that runs for the whole fleet (header <c>// @scope fleet</c>), such as verify-fleet: the
/// tenants under proof, and the fleet-wide facade. Its evidence goes to <c>evidence/_fleet/</c>.
/// </summary>
public sealed class FleetRunbook : Runbook
{
    internal FleetRunbook(RunRecorder recorder, IReadOnlyDictionary<string, string> parameters, FleetScope scope, RunbookServices services)
        : base(recorder, parameters)
    {
        Tenants = scope.Active;
        Fleet = new FleetSteps(scope, services);
    }

    /// <summary>The registry's active tenants: the fleet under proof.</summary>
    public IReadOnlyList<TenantId> Tenants { get; }
    /// <summary>Fleet-wide checks: membership, and every tenant principal × every other tenant's namespace in each store.</summary>
    public FleetSteps Fleet { get; }
}
