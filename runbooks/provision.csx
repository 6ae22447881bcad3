// @runbook  provision
// @version  2.3.0
// @summary  Give a tenant its own key, credentials and isolated namespace in every store (spec §10)
#load "shared/isolation-checks.csx"

// Spec §10, in order. Every step is idempotent: running this again after a crash completes the
// tenant instead of failing on "already exists". If a step fails, the host undoes the completed
// store steps newest first (the evidence lists them under rolled_back); the key and the encrypted
// secrets are kept, so no secret is ever left without the key that decrypts it, and a re-run resumes.
// Each store step records in the registry that the tenant has that store: verification proves what is recorded.

// The tenant's private range comes first, so a pool with none left refuses (exit 2) before anything is created;
// the same range is its pg_hba network and, with a network provider, its private network (network spec §3).
await Step("net §3 reserve the tenant's private range from the pool", Network.Reserve());
await Step("§10.0 register the tenant as provisioning (§8.1)", Registry.Register());
await Step("§10.1 generate the tenant's age key pair (§6.2)", Keys.EnsureKey());
await Step("§10.2-3 generate credentials into the SOPS-encrypted secrets file (§6.3, §6.4)", Keys.EnsureSecrets());
// Process isolation tasks 2.1-2.3: the tenant's own intermediate CA (the platform root is created the first time), its key
// encrypted to the tenant's age key in the secrets file just written, so rotate-keys and deprovision cover it (docs/pki.md).
await Step("pki 2.3 the tenant's intermediate CA, name-constrained to .<tenant>.serviceradar (tasks 1.1, 2.1-2.3)", Pki.EnsureTenantCa());
// Process isolation tasks 7.x: the tenant's NATS account (subjects <tenant>.>, inboxes _INBOX_<tenant>) and JetStream stream,
// trusted through the CA just created; applied to nats-server with a confirmed reload, rolled back if it does not take.
await Step("nats 7.1-7.6 the tenant's NATS account, subjects <tenant>.> and JetStream stream (reload confirmed)", Bus.Provision());
await Step("§10.4 MinIO bucket, IAM user and policy (§2.1-§2.3)", Minio.Provision());
await Step("§10.5 PostgreSQL database and user (§3.1)", Postgres.Provision());
await Step("§3 PostgreSQL cluster hardening: PUBLIC may not connect to postgres or template1 (opt-in)", Postgres.HardenSystemDatabases());
await Step("§3.2 pg_hba.conf: the tenant user only from its network", Postgres.AllowTenantNetwork());
await Step("§10.6 Qdrant collection (§4.1)", Qdrant.Provision());
await Step("§10.6 Qdrant collection-scoped token into the secrets file (§4.2)", Qdrant.IssueToken());
await Step("§10.7 Redis ACL user for the tenant prefix (§5.2)", Redis.Provision());
// Network and compute (network spec). The server is created last because it needs the network, firewall and volume.
await Step("net §3 private network on the tenant's range (offline: an internal docker network, net §9)", Network.PrivateNetwork());
await Step("net §8 firewall: in HTTPS from the gateway, SSH from the bastion, internal; out the LLM API, internal, DNS; all else denied", Network.Firewall());
await Step("net §4 volume, mounted at /mnt/tenant-<id>", Network.Volume());
await Step("net §2 compute: the tenant's server or workloads, polled until running", Network.Compute());
await Step("net §5 DNS record (external integration point)", Network.Dns());
await VerifyIsolation("§10.8");
await Step("§10.9 register the tenant as active with its key metadata (§8.1)", Registry.Activate());

return new { tenant = Tenant.Value };
