// @runbook  verify
// @version  1.0.0
// @summary  Prove a tenant's isolation in every configured store and its encryption (spec §9)
#load "shared/isolation-checks.csx"

// Spec §9.1, every item, probed live with the tenant's own credentials. The checks are the §9.2
// report inside this run's evidence; a single failed check makes the run fail (exit 1).

await VerifyIsolation("§9.1");

return new { tenant = Tenant.Value, checks = Record.Checks.Count, failed = Record.Checks.Count(c => !c.Pass) };
