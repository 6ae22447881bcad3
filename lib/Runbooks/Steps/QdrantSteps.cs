using RunbookHost.Keys.KeyRing;
using RunbookHost.Stores.Qdrant;

namespace RunbookHost.Runbooks.Steps;

/// <summary>Qdrant (spec §4, with JWT RBAC) as runbook steps, bound to one tenant's run. A null store is not configured.</summary>
public sealed class QdrantSteps
{
    public const string Store = QdrantTenantStore.StoreName;

    private readonly TenantRun run;
    private readonly QdrantTenantStore? store;
    private readonly string whyDisabled;

    internal QdrantSteps(TenantRun run, QdrantTenantStore? store, string whyDisabled)
    {
        this.run = run;
        this.store = store;
        this.whyDisabled = whyDisabled;
    }

    /// <summary>§4.1: the tenant's collection (vector size and distance from configuration). Undo: §4.4.</summary>
    public IRunbookOperation Provision() => store is null
        ? new SkippedOperation(whyDisabled)
        : new RunbookOperation(store.PlanProvision(run.Tenant).Describe(),
            async ct =>
            {
                await store.ProvisionAsync(run.Tenant, ct);
                await run.Provisioned(Component.Qdrant, null, ct);
            },
            async ct =>
            {
                await store.DeprovisionAsync(run.Tenant, ct);
                await run.Removed(Component.Qdrant, ct);
            });

    /// <summary>
    /// Beyond §4.2: a collection-scoped, revocable JWT for the tenant, stored as <c>qdrant_api_key</c> in its
    /// secrets file. With <paramref name="revokeExisting"/> (emergency rotation) every earlier token is revoked first.
    /// </summary>
    public IRunbookOperation IssueToken(bool revokeExisting = false) => store is null
        ? new SkippedOperation(whyDisabled)
        : new RunbookOperation(
            [
                .. revokeExisting ? new[] { $"delete every token point of {run.Tenant} from the token registry collection (revokes its tokens at once)" } : [],
                $"issue HS256 JWT access=[{{collection: {QdrantTenantStore.CollectionName(run.Tenant)}, access: rw}}] bound to a token point (value_exists) = ***",
                $"store it as {TenantSecrets.QdrantApiKeyName} in the tenant's secrets file (re-encrypted, atomic)",
            ],
            async ct =>
            {
                if (revokeExisting)
                    await store.RevokeTenantTokensAsync(run.Tenant, ct);
                var token = await store.IssueRevocableTenantTokenAsync(run.Tenant, ct);
                var secrets = run.Secrets().With(TenantSecrets.QdrantApiKeyName, token.Token);
                await run.KeyRing.ReplaceSecrets(run.Tenant, secrets).ApplyAsync(ct);
            });

    /// <summary>§4.4: the collection, and every token of the tenant.</summary>
    public IRunbookOperation Deprovision() => store is null
        ? new SkippedOperation(whyDisabled)
        : new RunbookOperation(store.PlanDeprovision(run.Tenant).Describe(), async ct =>
        {
            await store.DeprovisionAsync(run.Tenant, ct);
            await run.Removed(Component.Qdrant, ct);
        });

    /// <summary>§4.3 with the tenant's own token: own collection usable, another tenant's denied by the server, guard refuses a wrong name.</summary>
    public ICheckOperation Verify() => Verification.Probe(run.Scope, Component.Qdrant, Store, "isolation", store is null ? whyDisabled : null,
        ["with the tenant's own token: its collection usable, other tenants' collections denied by the server, the client guard refuses a wrong name"],
        async ct => await store!.VerifyTenantAsync(run.Tenant, run.Secrets().QdrantApiKey, await run.OtherTenants(), ct));

    public ICheckOperation VerifyAbsent() => store is null
        ? CheckOperation.Fixed(run.Scope.InsteadOfProbing(Component.Qdrant, Store, "absence", whyDisabled)!)
        : new CheckOperation([$"no collection {QdrantTenantStore.CollectionName(run.Tenant)}"], async ct =>
            [Verification.Absence(Store, "collection_absent", !await store.CollectionExistsAsync(run.Tenant, ct), QdrantTenantStore.CollectionName(run.Tenant))]);
}
