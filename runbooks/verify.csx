// @runbook  verify
// @version  2.1.0
// @summary  Prove a tenant's isolation in everything it was provisioned with, and its encryption (spec §9)
#load "shared/isolation-checks.csx"

// Spec §9.1, every item, probed live with the tenant's own credentials. What must be proven comes from the
// registry's record of what the tenant was provisioned with, never from what happens to be configured today:
// a store the tenant has that cannot be reached or is not configured makes the run incomplete (exit 4), never a pass.
// The checks are the §9.2 report inside this run's evidence; a single failed check makes the run fail (exit 1).

await VerifyIsolation("§9.1");

return new { tenant = Tenant.Value, checks = Record.Checks.Count, failed = Record.Checks.Count(c => c.Status == "fail") };
