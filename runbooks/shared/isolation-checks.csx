// @shared   isolation-checks
// @version  2.3.0
// @summary  The spec §9.1 cross-store checklist as the tenant sees it, shared by provision and verify

// §9.1: each store the tenant has is probed live with the tenant's own credentials: its own namespace
// must work, another tenant's must be refused by the server. Each result lands in the §9.2 report
// (the evidence's "checks"). A dry run lists the probes without running them.
async Task VerifyIsolation(string section)
{
    await Checks($"{section}.1 MinIO: only the tenant's bucket, with its own keys (§2.4)", Minio.Verify());
    await Checks($"{section}.2 PostgreSQL: only the tenant's database, as its own user (§3.3)", Postgres.Verify());
    await Checks($"{section}.2 PostgreSQL: pg_hba.conf has the tenant's line for its network (§3.2)", Postgres.VerifyTenantNetwork());
    await Checks($"{section}.2 PostgreSQL: pg_hba.conf, read top-down as the server does, admits the tenant only from its network (§3.2)", Postgres.ProveTenantNetwork());
    await Checks($"{section}.2 PostgreSQL: no tenant role may connect to the system databases (opt-in hardening)", Postgres.VerifySystemDatabases());
    await Checks($"{section}.3 Qdrant: only the tenant's collection, with its own token (§4.3)", Qdrant.Verify());
    await Checks($"{section}.4 Redis: only the tenant's key prefix, as its own ACL user (§5.3)", Redis.Verify());
    await Checks($"{section}.5 Encryption: the secrets decrypt with the tenant's key only (§6)", Keys.VerifyEncryption());
    await Checks($"{section}.6 Network: only its own workloads, no other tenant's, no route out (net §10)", Network.Verify());
    await Checks($"{section}.7 PKI: the tenant's CA chains to the root, pathLen 0, constrained to its own names; another tenant's name is refused", Pki.Verify());
    await Checks($"{section}.8 NATS: own subjects only; other tenants' subjects, names, CAs and streams refused (tasks 7.x)", Bus.Verify());
}
