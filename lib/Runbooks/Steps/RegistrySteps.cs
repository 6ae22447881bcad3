using RunbookHost.Keys.KeyRing;
using RunbookHost.Registry;
using RunbookHost.Tenants;

namespace RunbookHost.Runbooks.Steps;

/// <summary>The control-plane registry (spec §8) as runbook steps. A null registry is not configured: steps are skipped visibly.</summary>
public sealed class RegistrySteps(TenantRegistry? registry, string whyDisabled, TimeProvider clock, int rotationDays)
{
    public TenantRegistry? Registry => registry;

    /// <summary>Records the tenant as provisioning and allocates its network octet. Undo: marks it failed (kept for the audit trail).</summary>
    public IRunbookOperation Register(TenantId tenant) => registry is null
        ? new SkippedOperation(whyDisabled)
        : new RunbookOperation(
            [$"INSERT INTO tenants (tenant_id, status, tenant_octet) VALUES ('{tenant}', 'provisioning', <next free octet>) ON CONFLICT (tenant_id) DO UPDATE"],
            async ct => await registry.RegisterAsync(tenant, TenantStatus.Provisioning, ct),
            ct => registry.SetStatusAsync(tenant, TenantStatus.Failed, ct));

    /// <summary>§8.1/§10 step 9: the tenant's age public key, key version and rotation due date; status active.</summary>
    public IRunbookOperation Activate(TenantId tenant, Func<string> agePublicKey) => registry is null
        ? new SkippedOperation(whyDisabled)
        : new RunbookOperation(
            [$"record key: tenants.age_public_key, key_version, key_rotation_due_at = now + {rotationDays} days; tenant_key_history ACTIVE",
             $"UPDATE tenants SET status = 'active' WHERE tenant_id = '{tenant}'",
             "INSERT INTO audit_events (event_type) VALUES ('TENANT_PROVISIONED')"],
            async ct =>
            {
                var now = clock.GetUtcNow();
                await registry.RecordKeyRotationAsync(tenant, agePublicKey(), "initial", now, now.AddDays(rotationDays), ct);
                await registry.SetStatusAsync(tenant, TenantStatus.Active, ct);
                await registry.RecordAuditAsync("TENANT_PROVISIONED", tenant, null, ct);
            });

    /// <summary>§7.2 step 7: the rotation's new public key, version + 1, previous key ARCHIVED, audit KEY_ROTATED.</summary>
    public IRunbookOperation RecordKeyRotation(KeyRotation rotation) => registry is null
        ? new SkippedOperation(whyDisabled)
        : rotation.RecordInRegistry(registry, rotationDays);

    /// <summary>§8.3 at deprovision: the tenant's ACTIVE key ARCHIVED in the key history (its file is archived, not destroyed).</summary>
    public IRunbookOperation ArchiveActiveKey(TenantId tenant) => registry is null
        ? new SkippedOperation(whyDisabled)
        : new RunbookOperation(
            [$"UPDATE tenant_key_history SET status = 'ARCHIVED', archived_at = now() WHERE tenant_id = '{tenant}' AND status = 'ACTIVE'",
             "INSERT INTO audit_events (event_type) VALUES ('KEY_ARCHIVED')"],
            async ct => await registry.ArchiveActiveKeyAsync(tenant, clock.GetUtcNow(), ct));

    /// <summary>§8.3: an archived key version PURGED.</summary>
    public IRunbookOperation MarkPurged(TenantId tenant, ArchivedKey key) => registry is null
        ? new SkippedOperation(whyDisabled)
        : KeyRegistryOperations.MarkPurged(registry, tenant, key, clock.GetUtcNow());

    public IRunbookOperation SetStatus(TenantId tenant, TenantStatus status) => registry is null
        ? new SkippedOperation(whyDisabled)
        : new RunbookOperation([$"UPDATE tenants SET status = '{status.ToDb()}' WHERE tenant_id = '{tenant}'"],
            ct => registry.SetStatusAsync(tenant, status, ct));

    public IRunbookOperation Audit(TenantId tenant, string eventType, object? details = null) => registry is null
        ? new SkippedOperation(whyDisabled)
        : new RunbookOperation([$"INSERT INTO audit_events (event_type, tenant_id) VALUES ('{eventType}', '{tenant}')"],
            async ct => await registry.RecordAuditAsync(eventType, tenant, details, ct));

    /// <summary>
    /// The tenant's network octet (allocated at <see cref="Register"/>), read from the registry when the returned
    /// function is called, i.e. when the step that needs it runs (after Register, also in the same run).
    /// Null without a registry. The function throws if the tenant is not registered or has no octet (all 254 were taken when it registered:
    /// its network cannot be restricted with the 10.{octet}.0.0/16 scheme, and the pg_hba step says so).
    /// </summary>
    public Func<int>? Octet(TenantId tenant) => registry is null ? null : () =>
    {
        var record = registry.GetAsync(tenant).GetAwaiter().GetResult();
        return record?.TenantOctet ?? throw new InvalidOperationException($"tenant {tenant} has no network octet in the registry (register it first)");
    };

    /// <summary>The tenant's network octet now; null without a registry, or when the tenant is not registered (e.g. a dry run of a new tenant).</summary>
    public async Task<int?> TenantOctet(TenantId tenant, CancellationToken cancellationToken) =>
        registry is null ? null : (await registry.GetAsync(tenant, cancellationToken))?.TenantOctet;

    /// <summary>A few other active tenants (at random), the targets of cross-tenant probes; empty without a registry.</summary>
    public async Task<IReadOnlyList<TenantId>> OtherActiveTenants(TenantId tenant, CancellationToken cancellationToken) =>
        registry is null ? [] : await registry.PickOtherActiveTenantsAsync(tenant, CrossTenantProbes, cancellationToken);

    /// <summary>How many other tenants each verification probes: enough to catch a leak, constant so a fleet run stays linear.</summary>
    public const int CrossTenantProbes = 3;
}
