using RunbookHost.Keys.KeyRing;
using RunbookHost.Registry;

namespace RunbookHost.Runbooks.Steps;

/// <summary>The control-plane registry (spec §8) as runbook steps, bound to one tenant's run. Without a registry every step is skipped visibly.</summary>
public sealed class RegistrySteps
{
    private readonly TenantRun run;
    private readonly TenantRegistry? registry;
    private readonly string whyDisabled;

    internal RegistrySteps(TenantRun run, TenantRegistry? registry, string whyDisabled)
    {
        this.run = run;
        this.registry = registry;
        this.whyDisabled = whyDisabled;
    }

    private string Tenant => run.Tenant.Value;
    private int RotationDays => run.Services.Settings.Keys.RotationDays;

    /// <summary>Records the tenant as provisioning and allocates its network octet. Undo: marks it failed (kept for the audit trail).</summary>
    public IRunbookOperation Register() => registry is null
        ? new SkippedOperation(whyDisabled)
        : new RunbookOperation(
            [$"INSERT INTO tenants (tenant_id, status, tenant_octet) VALUES ('{Tenant}', 'provisioning', <next free octet>) ON CONFLICT (tenant_id) DO UPDATE"],
            async ct => await registry.RegisterAsync(run.Tenant, TenantStatus.Provisioning, ct),
            ct => registry.SetStatusAsync(run.Tenant, TenantStatus.Failed, ct));

    /// <summary>§8.1/§10 step 9: the tenant's age public key, key version and rotation due date; status active.</summary>
    public IRunbookOperation Activate() => registry is null
        ? new SkippedOperation(whyDisabled)
        : new RunbookOperation(
            [$"record key: tenants.age_public_key, key_version, key_rotation_due_at = now + {RotationDays} days; tenant_key_history ACTIVE",
             $"UPDATE tenants SET status = 'active' WHERE tenant_id = '{Tenant}'",
             "INSERT INTO audit_events (event_type) VALUES ('TENANT_PROVISIONED')"],
            async ct =>
            {
                var now = run.KeyRing.Clock.GetUtcNow();
                await registry.RecordKeyRotationAsync(run.Tenant, run.KeyRing.PublicKey(run.Tenant), "initial", now, now.AddDays(RotationDays), ct);
                await registry.SetStatusAsync(run.Tenant, TenantStatus.Active, ct);
                await registry.RecordAuditAsync("TENANT_PROVISIONED", run.Tenant, null, ct);
            });

    /// <summary>§7.2 step 7: the rotation's new public key, version + 1, previous key ARCHIVED, audit KEY_ROTATED.</summary>
    public IRunbookOperation RecordKeyRotation(KeyRotation rotation) => registry is null
        ? new SkippedOperation(whyDisabled)
        : rotation.RecordInRegistry(registry, RotationDays);

    /// <summary>§8.3 at deprovision: the tenant's ACTIVE key ARCHIVED in the key history (its file is archived, not destroyed).</summary>
    public IRunbookOperation ArchiveActiveKey() => registry is null
        ? new SkippedOperation(whyDisabled)
        : new RunbookOperation(
            [$"UPDATE tenant_key_history SET status = 'ARCHIVED', archived_at = now(), valid_to = now() WHERE tenant_id = '{Tenant}' AND status = 'ACTIVE'",
             "UPDATE tenant_key_history SET key_file = <its archive file name> (matched by public_key_hash)",
             "INSERT INTO audit_events (event_type) VALUES ('KEY_ARCHIVED')"],
            async ct =>
            {
                await registry.ArchiveActiveKeyAsync(run.Tenant, run.KeyRing.Clock.GetUtcNow(), ct);
                await BackupKeys.SyncHistoryAsync(run.KeyRing, registry, run.Tenant, ct);
            });

    /// <summary>§8.3: an archived key version PURGED.</summary>
    public IRunbookOperation MarkPurged(ArchivedKey key) => registry is null
        ? new SkippedOperation(whyDisabled)
        : KeyRegistryOperations.MarkPurged(registry, run.Tenant, key, run.KeyRing.Clock.GetUtcNow());

    /// <summary>The tenant's lifecycle status (§8.1): provisioning, active, deprovisioning, deprovisioned, failed.</summary>
    public IRunbookOperation SetStatus(TenantStatus status) => registry is null
        ? new SkippedOperation(whyDisabled)
        : new RunbookOperation([$"UPDATE tenants SET status = '{status.ToDb()}' WHERE tenant_id = '{Tenant}'"],
            ct => registry.SetStatusAsync(run.Tenant, status, ct));

    /// <summary>An audit event for the tenant; <paramref name="details"/> must hold no secret.</summary>
    public IRunbookOperation Audit(string eventType, object? details = null) => registry is null
        ? new SkippedOperation(whyDisabled)
        : new RunbookOperation([$"INSERT INTO audit_events (event_type, tenant_id) VALUES ('{eventType}', '{Tenant}')"],
            async ct => await registry.RecordAuditAsync(eventType, run.Tenant, details, ct));
}
