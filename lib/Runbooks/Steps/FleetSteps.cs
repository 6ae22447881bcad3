using RunbookHost.Evidence;
using RunbookHost.Stores;

namespace RunbookHost.Runbooks.Steps;

/// <summary>
/// The fleet-wide isolation proof, not quadratic in logins: from each store's own view of every tenant principal
/// (PostgreSQL catalog privileges, Redis ACL rules, MinIO attached policies, Qdrant token claims), every
/// (tenant principal × other tenant namespace) pair must be denied. Each of these is a catalog fact, which is the proof
/// for a pair; the live probes from each tenant's side are its own verify run (docs/engine.md). Nothing here passes
/// vacuously: fewer than two tenants, an unknown registry or a store the fleet has but that is not configured is incomplete.
/// </summary>
public sealed class FleetSteps
{
    private readonly FleetScope scope;
    private readonly RunbookServices services;

    internal FleetSteps(FleetScope scope, RunbookServices services)
    {
        this.scope = scope;
        this.services = services;
    }

    private const string Store = "fleet";

    /// <summary>The registry's tenants, the evidence chains and the tenants verified agree; every tenant run passed.</summary>
    public ICheckOperation Membership() => new CheckOperation(
        ["compare the registry's tenants with the tenants that have evidence chains and with the tenants this run verified"],
        _ => Task.FromResult(FleetMembership.Check(scope)));

    /// <summary>At least two tenants, so cross-tenant pairs exist: one tenant proves nothing about isolation.</summary>
    public ICheckOperation Pairs() => new CheckOperation(["count the tenants under proof"], _ => Task.FromResult<IReadOnlyList<CheckRecord>>(
    [
        scope.RegistryUnknownBecause is { } why ? CheckRecord.Incomplete(Store, "tenant_pairs", $"the fleet cannot be enumerated: {why}")
        : scope.Active.Count >= 2 ? new(Store, "tenant_pairs", CheckResults.Pass, default, true, $"{scope.Active.Count} tenants, {(long)scope.Active.Count * (scope.Active.Count - 1)} ordered pairs")
        : scope.Active.Count == 0 && scope.WithEvidence.Count == 0 ? CheckRecord.Skipped(Store, "tenant_pairs", "no tenants and no evidence: nothing to prove yet")
        : CheckRecord.Incomplete(Store, "tenant_pairs", $"{scope.Active.Count} active tenant(s): no pair of tenants to prove isolation between"),
    ]));

    public ICheckOperation Postgres() => Pairwise(Component.Postgres, "postgres", "fleet_cross_db_connect", services.Postgres is null ? services.PostgresDisabled : null,
        "one catalog query: has_database_privilege(every tenant role, every tenant database, CONNECT)",
        async ct => [(await services.Postgres!.VerifyFleetAsync(scope.Active, ct)).ToCheck()]);

    public ICheckOperation Redis() => Pairwise(Component.Redis, "redis", "fleet_acl_patterns", services.Redis is null ? services.RedisDisabled : null,
        "ACL LIST: every tenant user's key and channel patterns cover only its own prefix",
        async ct => [(await services.Redis!.VerifyFleetAsync(scope.Active, ct)).ToCheck()]);

    public ICheckOperation Minio() => Pairwise(Component.Minio, MinioSteps.Store, "fleet_policy_scope", services.Minio is null ? services.MinioDisabled : null,
        "every tenant user's attached policy reaches only its own bucket",
        async ct => [(await services.Minio!.VerifyFleetAsync(ct)).Check]);

    public ICheckOperation Qdrant() => Pairwise(Component.Qdrant, QdrantSteps.Store, "fleet_token_scope", services.Qdrant is null ? services.QdrantDisabled : null,
        "decode every tenant's stored token: it names only its own collection",
        _ =>
        {
            var keys = services.Keys;
            var tokens = scope.Active.Where(keys.HasSecrets).ToDictionary(t => t, t => keys.LoadSecrets(t).QdrantApiKey);
            return Task.FromResult(services.Qdrant!.VerifyFleetTokens(tokens));
        });

    public ICheckOperation Network() => Pairwise(Component.Network, RunbookHost.Network.NetworkChecks.Store, "fleet_network_pairs",
        services.Network?.Provider is null ? (services.Network?.WhyProviderDisabled ?? services.NetworkDisabled) : null,
        "one read of the platform: tenant ranges disjoint, nothing bridges two tenants, every pair denied",
        ct => services.Network!.VerifyFleetAsync(scope.Active, ct));

    /// <summary>NATS, live: every tenant's probe identity publishes to every other tenant's prefix; each publish is refused, nothing delivered.</summary>
    public ICheckOperation Bus() => Pairwise(Component.Nats, RunbookHost.Nats.NatsProbes.Store, "fleet_bus_pairs", services.Bus is null ? services.BusDisabled : null,
        "each tenant's short-lived probe identity listens on <tenant>.> and publishes a marked message to every other tenant's prefix: n(n-1) refusals, no delivery",
        ct => services.Bus!.VerifyFleetAsync(scope.Active.Where(t => scope.Components.TryGetValue(t, out var list) && list.Any(c => c.Name == Component.Nats)).ToList(), ct));

    /// <summary>
    /// A store's fleet-wide check: run when the store is configured and there are pairs; otherwise skipped only when no
    /// tenant has the store, and incomplete when some do (or nobody knows).
    /// </summary>
    private ICheckOperation Pairwise(string component, string store, string test, string? whyNotConfigured, string description,
        Func<CancellationToken, Task<IReadOnlyList<CheckRecord>>> check)
    {
        var holders = scope.Active.Count(t => scope.Components.TryGetValue(t, out var list) && list.Any(c => c.Name == component));
        var required = services.Settings.Verify.RequiredComponents.Contains(component, StringComparer.Ordinal);
        CheckRecord? instead =
            scope.RegistryUnknownBecause is { } why ? CheckRecord.Incomplete(store, test, $"the fleet cannot be enumerated: {why}")
            : holders == 0 && !required ? CheckRecord.Skipped(store, test, $"no tenant has {component}")
            : whyNotConfigured is not null ? CheckRecord.Incomplete(store, test, $"{holders} tenant(s) have {component}, but {whyNotConfigured}")
            : scope.Active.Count < 2 ? CheckRecord.Incomplete(store, test, $"{scope.Active.Count} active tenant(s): no cross-tenant pair to check")
            : null;
        return instead is not null ? CheckOperation.Fixed(instead) : new CheckOperation([description], check);
    }
}
