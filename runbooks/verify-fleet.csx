// @runbook  verify-fleet
// @version  1.2.0
// @scope    fleet
// @summary  Prove that no tenant can reach another tenant's namespace in any store, across the whole fleet (spec §9)

// Runs after `run verify --all-tenants` and the nightly verification (or alone: `run verify-fleet`).
// Each tenant's own verify proved its isolation with live probes; this proves every pair at once from each
// store's own catalog (a catalog fact is the proof for a pair: docs/engine.md says which is which), and that the
// registry, the evidence chains and the tenants just verified name the same fleet. Nothing here passes vacuously:
// an unreadable registry, fewer than two tenants, or a store the fleet has but that is not configured is incomplete.

await Checks("fleet: the registry's tenants, the evidence chains and the tenants verified agree", Fleet.Membership());
await Checks("fleet: at least two tenants, so there are pairs to prove", Fleet.Pairs());
await Checks("§9.1.1 MinIO: every tenant user's policy reaches only its own bucket", Fleet.Minio());
await Checks("§9.1.2 PostgreSQL: no tenant role may connect to another tenant's database", Fleet.Postgres());
await Checks("§9.1.3 Qdrant: every tenant's token names only its own collection", Fleet.Qdrant());
await Checks("§9.1.4 Redis: every tenant's ACL user reaches only its own key prefix", Fleet.Redis());
await Checks("net §10 Network: no tenant's network reaches another's (every pair)", Fleet.Network());
await Checks("nats 7.x NATS: no tenant pair can exchange messages (every pair, live)", Fleet.Bus());

return new { tenants = Tenants.Count, checks = Record.Checks.Count };
