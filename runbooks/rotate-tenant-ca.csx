// @runbook  rotate-tenant-ca
// @version  1.1.0
// @summary  Replace a tenant's intermediate CA with an overlap, re-issue its packages, retire or revoke the old CA (process isolation task 11.4)
// @param    reason        default=scheduled  allowed=scheduled|emergency  Scheduled: overlap, then retire; emergency: revoke the old CA now and publish the CRL
// @param    overlap-days  type=int  Days the previous CA stays trusted (default Pki:OverlapDays)

// Scheduled (docs/pki.md, "Rotation"): the first run creates the new CA and makes the old one retiring, still trusted
// by the servers for the overlap, and re-issues every onboarding package under the new CA. Run it again after the
// overlap: it creates no new CA while the old one is retiring, and retires (revokes, reason superseded) the old one.
// Emergency: the new CA, then the old one revoked at once (reason emergency) with the root's CRL published, BEFORE the
// packages are re-issued: a failure while re-issuing never leaves the compromised CA trusted. A re-run after a crash
// makes another new CA and revokes every other one, which is safe (docs/pki.md).
// Every step resumes what an interrupted run left; nothing is rolled back (the old CA stays trusted until retired).
// The bus is told last: its client-CA bundle then holds the new CA and no revoked one, and the re-issued identities.

var rotation = Pki.CaRotation(Param("reason"), Param("overlap-days"));

await Step("11.4 1. new intermediate CA (active); the previous one becomes retiring", rotation.NewCa());
await Step("11.4 2. " + (rotation.IsEmergency ? "revoke the previous CA now and publish the CRL" : "retire a previous CA whose overlap has ended; publish the CRL"), rotation.RetireOld());
await Step("11.4 3. re-issue every component package under the new CA", rotation.ReissuePackages());
await Step("11.4 4. nats-server trusts the new CA and no revoked one (configuration reloaded and confirmed)", Bus.Apply());
await Checks("11.4 the rotation holds: one active CA, every package from it, every revoked CA on the CRL", rotation.Verify());

return new
{
    reason = rotation.Reason,
    active_ca = rotation.ActiveSerial,
    previous_ca = rotation.PreviousSerial,
    new_ca_created = rotation.CreatedNewCa,
    reissued_certificates = rotation.Reissued,
    revoked_cas = rotation.Revoked,
    overlap_days = rotation.OverlapDays,
    overlap_ends_at = rotation.OverlapEndsAt,
    notes = rotation.Notes,
};
