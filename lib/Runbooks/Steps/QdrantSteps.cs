using RunbookHost.Evidence;
using RunbookHost.Keys.KeyRing;
using RunbookHost.Stores.Qdrant;
using RunbookHost.Tenants;

namespace RunbookHost.Runbooks.Steps;

/// <summary>Qdrant (spec §4, with JWT RBAC) as runbook steps. A null store is not configured: every step is skipped visibly.</summary>
public sealed class QdrantSteps(QdrantTenantStore? store, string whyDisabled, TenantKeyRing keys)
{
    public const string Store = QdrantTenantStore.StoreName;

    /// <summary>§4.1: the tenant's collection (vector size and distance from configuration). Undo: §4.4.</summary>
    public IRunbookOperation Provision(TenantId tenant) => store is null
        ? new SkippedOperation(whyDisabled)
        : new RunbookOperation(store.PlanProvision(tenant).Describe(),
            async ct => await store.ProvisionAsync(tenant, ct),
            ct => store.DeprovisionAsync(tenant, ct));

    /// <summary>
    /// Beyond §4.2: a collection-scoped, revocable JWT for the tenant, stored as <c>qdrant_api_key</c> in its
    /// secrets file. With <paramref name="revokeExisting"/> (emergency rotation) every earlier token is revoked first.
    /// </summary>
    public IRunbookOperation IssueToken(TenantId tenant, bool revokeExisting = false) => store is null
        ? new SkippedOperation(whyDisabled)
        : new RunbookOperation(
            [
                .. revokeExisting ? new[] { $"delete every token point of {tenant} from the token registry collection (revokes its tokens at once)" } : [],
                $"issue HS256 JWT access=[{{collection: {QdrantTenantStore.CollectionName(tenant)}, access: rw}}] bound to a token point (value_exists) = ***",
                $"store it as {TenantSecrets.QdrantApiKeyName} in the tenant's secrets file (re-encrypted, atomic)",
            ],
            async ct =>
            {
                if (revokeExisting)
                    await store.RevokeTenantTokensAsync(tenant, ct);
                var token = await store.IssueRevocableTenantTokenAsync(tenant, ct);
                var secrets = keys.LoadSecrets(tenant).With(TenantSecrets.QdrantApiKeyName, token.Token);
                await keys.ReplaceSecrets(tenant, secrets).ApplyAsync(ct);
            });

    /// <summary>§4.4: the collection, and every token of the tenant.</summary>
    public IRunbookOperation Deprovision(TenantId tenant) => store is null
        ? new SkippedOperation(whyDisabled)
        : new RunbookOperation(store.PlanDeprovision(tenant).Describe(), ct => store.DeprovisionAsync(tenant, ct));

    /// <summary>§4.3 with the tenant's own token: own collection usable, another tenant's denied by the server, guard refuses a wrong name.</summary>
    public async Task<IReadOnlyList<CheckRecord>> Verify(TenantId tenant, Func<string> token, IReadOnlyList<TenantId> otherTenants, CancellationToken cancellationToken) =>
        store is null ? [StepChecks.Skipped(Store, "isolation", whyDisabled)] : await store.VerifyTenantAsync(tenant, token(), otherTenants, cancellationToken);

    public async Task<IReadOnlyList<CheckRecord>> VerifyAbsent(TenantId tenant, CancellationToken cancellationToken) =>
        store is null
            ? [StepChecks.Skipped(Store, "absence", whyDisabled)]
            : [StepChecks.Absence(Store, "collection_absent", !await store.CollectionExistsAsync(tenant, cancellationToken), QdrantTenantStore.CollectionName(tenant))];

    /// <summary>Fleet-wide, without connecting: each tenant's stored token names only its own collection.</summary>
    public IReadOnlyList<CheckRecord> VerifyFleet(IReadOnlyList<TenantId> tenants) =>
        store is null
            ? [StepChecks.Skipped(Store, "fleet_token_scope", whyDisabled)]
            : store.VerifyFleetTokens(tenants.Where(keys.HasSecrets).ToDictionary(t => t, t => keys.LoadSecrets(t).QdrantApiKey));
}
