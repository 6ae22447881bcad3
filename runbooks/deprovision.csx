// @runbook  deprovision
// @version  2.5.0
// @summary  Remove a tenant from every store, prove nothing remains, archive its key (spec §2.5, §3.4, §4.4, §5.4)
using RunbookHost.Registry;

// PRD 3.6 order: vectors, then the database, then objects, then the cache. Each removal is
// idempotent (absent is fine), so a re-run after a crash completes. The key is archived, not
// destroyed: backups made before today stay recoverable until purge-archived-keys removes it (§7.3).

await Step("mark the tenant deprovisioning (§8.1)", Registry.SetStatus(TenantStatus.Deprovisioning));
await Step("§4.4 Qdrant: delete the collection and revoke the tenant's tokens", Qdrant.Deprovision());
await Step("§3.4 PostgreSQL: drop the database (WITH FORCE) and the role", Postgres.Deprovision());
await Step("§3.4 PostgreSQL: remove the tenant's pg_hba.conf entry and reload", Postgres.RemoveTenantNetwork());
await Step("§2.5 MinIO: empty and remove the bucket, detach and remove user and policy", Minio.Deprovision());
await Step("§5.4 Redis: delete the ACL user, then every key under the tenant prefix", Redis.Deprovision());

// Network spec §7: graceful shutdown first, then server, network, firewall, volume; then prove nothing is left.
await Step("net §7 graceful shutdown of the tenant's compute (power off after the timeout)", Network.Shutdown());
await Step("net §7 delete the tenant's server (offline: its containers)", Network.DeleteCompute());
await Step("net §7 delete the tenant's private network", Network.DeleteNetwork());
await Step("net §7 delete the tenant's firewall", Network.DeleteFirewall());
await Step("net §7 delete the tenant's volume", Network.DeleteVolume());
await Step("net §5 remove the tenant's DNS record", Network.RemoveDns());

await Checks("§4.4 Qdrant: nothing of the tenant remains", Qdrant.VerifyAbsent());
await Checks("§3.4 PostgreSQL: nothing of the tenant remains", Postgres.VerifyAbsent());
await Checks("§2.5 MinIO: nothing of the tenant remains", Minio.VerifyAbsent());
await Checks("§5.4 Redis: nothing of the tenant remains", Redis.VerifyAbsent());
await Checks("net §7 nothing labelled with the tenant remains", Network.VerifyAbsent());
await Step("net §3 return the tenant's range to the pool", Network.Release());

// The tenant's CAs are revoked before its key is archived: from here no server trusts a certificate of the tenant,
// and the root's CRL says so (docs/pki.md).
// The bus first: a certificate is issued while the CA is still active, the stream and account are removed; after the CA
// is revoked the server's client-CA bundle is rewritten, so that certificate is refused twice over (no user, no trust).
await Step("nats remove the tenant's stream and account (reload confirmed)", Bus.Deprovision());
await Step("pki revoke the tenant's CAs, publish the root's CRL, remove its onboarding packages", Pki.RevokeTenantCa());
await Checks("pki no CA of the tenant is trusted, the CRL lists each, no onboarding package is left", Pki.VerifyRevoked());
await Step("nats the server's client-CA bundle without the revoked CAs (reload confirmed)", Bus.Apply());
await Checks("nats the account is gone and a certificate issued before the removal is refused", Bus.VerifyRemoved());

// The files restore-secrets kept for rollback hold credentials and CA keys of the tenant's past: nothing needs them now.
await Step("§7.3 remove the secrets files kept by restores (secrets-*-replaced.enc.yaml)", Keys.PurgeReplacedSecrets(null));
await Step("§7.3 archive the tenant's key (kept for backup recovery until purged)", Keys.ArchiveKey());
await Step("§8.3 record the key ARCHIVED in the registry's key history", Registry.ArchiveActiveKey());
await Step("mark the tenant deprovisioned and audit it (§8.1)", Registry.SetStatus(TenantStatus.Deprovisioned));
await Step("audit TENANT_DEPROVISIONED", Registry.Audit("TENANT_DEPROVISIONED"));

return new { tenant = Tenant.Value };
