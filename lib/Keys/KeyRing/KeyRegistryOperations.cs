using RunbookHost.Registry;
using RunbookHost.Runbooks;
using RunbookHost.Tenants;

namespace RunbookHost.Keys.KeyRing;

/// <summary>Registry side of the key lifecycle (§8.3) as runbook operations; the rotation's own registry step is <see cref="KeyRotation.RecordInRegistry"/>.</summary>
public static class KeyRegistryOperations
{
    /// <summary>
    /// ARCHIVED → PURGED for the history row whose public-key hash matches <paramref name="key"/>, with a
    /// KEY_PURGED audit event. A key the registry never recorded is left alone (nothing to mark).
    /// </summary>
    public static IRunbookOperation MarkPurged(TenantRegistry registry, TenantId tenant, ArchivedKey key, DateTimeOffset purgedAt)
    {
        ArgumentNullException.ThrowIfNull(registry);
        ArgumentNullException.ThrowIfNull(tenant);
        ArgumentNullException.ThrowIfNull(key);
        var hash = TenantRegistry.PublicKeyHash(key.PublicKey);
        return new RunbookOperation(
            [
                $"UPDATE tenant_key_history SET status = 'PURGED', purged_at = now() WHERE tenant_id = '{tenant}' AND public_key_hash = '{hash}' AND status = 'ARCHIVED'",
                $"INSERT INTO audit_events (event_type, tenant_id, details) VALUES ('KEY_PURGED', '{tenant}', ...)",
            ],
            async ct =>
            {
                // The version keeps its public key and file name (a row older than migration 8 gets them now, in this real step).
                await registry.RecordKeyFilesAsync(tenant, [(key.PublicKey, key.FileName)], ct).ConfigureAwait(false);
                var history = await registry.GetKeyHistoryAsync(tenant, ct).ConfigureAwait(false);
                foreach (var row in history.Where(r => r.PublicKeyHash == hash && r.Status == KeyStatus.Archived))
                    await registry.MarkKeyPurgedAsync(tenant, row.KeyVersion, purgedAt, ct).ConfigureAwait(false);
            });
    }
}
