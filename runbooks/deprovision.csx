// @runbook  deprovision
// @version  1.0.0
// @summary  Remove a tenant from every store, prove nothing remains, archive its key (spec §2.5, §3.4, §4.4, §5.4)
using RunbookHost.Registry;

// PRD 3.6 order: vectors, then the database, then objects, then the cache. Each removal is
// idempotent (absent is fine), so a re-run after a crash completes. The key is archived, not
// destroyed: backups made before today stay recoverable until purge-archived-keys removes it (§7.3).

await Step("mark the tenant deprovisioning (§8.1)", Registry.SetStatus(Tenant, TenantStatus.Deprovisioning));
await Step("§4.4 Qdrant: delete the collection and revoke the tenant's tokens", Qdrant.Deprovision(Tenant));
await Step("§3.4 PostgreSQL: drop the database (WITH FORCE) and the role", Postgres.Deprovision(Tenant));
await Step("§3.4 PostgreSQL: remove the tenant's pg_hba.conf entry and reload", Postgres.RemoveTenantNetwork(Tenant));
await Step("§2.5 MinIO: empty and remove the bucket, detach and remove user and policy", Minio.Deprovision(Tenant));
await Step("§5.4 Redis: delete the ACL user, then every key under the tenant prefix", Redis.Deprovision(Tenant));

if (DryRun)
    Skip("verify that nothing of the tenant remains", "dry run: nothing was removed");
else
    await Step("verify that nothing of the tenant remains", async () =>
    {
        var checks = new List<RunbookHost.Evidence.CheckRecord>();
        checks.AddRange(await Qdrant.VerifyAbsent(Tenant, CancellationToken));
        checks.AddRange(await Postgres.VerifyAbsent(Tenant, CancellationToken));
        checks.AddRange(await Minio.VerifyAbsent(Tenant, CancellationToken));
        checks.AddRange(await Redis.VerifyAbsent(Tenant, CancellationToken));
        foreach (var check in checks)
            Check(check);
        return checks.Count;
    });

await Step("§7.3 archive the tenant's key (kept for backup recovery until purged)", Keys.ArchiveKey(Tenant));
await Step("§8.3 record the key ARCHIVED in the registry's key history", Registry.ArchiveActiveKey(Tenant));
await Step("mark the tenant deprovisioned and audit it (§8.1)", Registry.SetStatus(Tenant, TenantStatus.Deprovisioned));
await Step("audit TENANT_DEPROVISIONED", Registry.Audit(Tenant, "TENANT_DEPROVISIONED"));

return new { tenant = Tenant.Value, removed = !DryRun };
