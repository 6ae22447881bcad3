// @runbook  onboard
// @version  1.1.0
// @summary  Issue a component certificate from the tenant's CA and write its onboarding package (process isolation tasks 3.1-3.4)
// @param    component  required  What the process is (agent, poller, checker...): one lowercase DNS label
// @param    partition  default=default  The tenant's partition it runs in: one lowercase DNS label
// @param    serves     default=false  allowed=true|false  Whether it also accepts connections (adds EKU serverAuth)
// @param    pack       default=false  allowed=true|false  Also write the package as <folder>.tar.gz (0600)

// The identity is <component>.<partition>.<tenant>.serviceradar, the certificate's CN and only SAN DNS name. An
// invalid component or partition is refused (exit 2) before anything is issued. Running this again issues a new
// certificate and replaces the package atomically: the previous certificate stays valid until it expires.
// The evidence records the certificate's serial and fingerprint and the file names, never the key (docs/pki.md).

var package = Pki.Onboarding(Param("component"), Param("partition"), serves: Param("serves") == "true", pack: Param("pack") == "true");

await Step("tasks 3.2-3.3 issue the component certificate from the tenant's CA; write ca-chain.pem, cert.pem, key.pem, nats.json and the signed manifest.json", package.Write());
// The bus maps a certificate to a user by its name: the server learns the new identity before the package is handed out.
await Step("task 7.3 the component becomes a user of the tenant's NATS account (configuration reloaded and confirmed)", Bus.Apply());
await Checks("task 3.4 the package works as shipped: chain to the root, key matches, manifest signature and hashes, NATS prefixes", package.Verify());

return new
{
    identity = package.Identity,
    certificate_serial = package.Serial,
    certificate_sha256 = package.Fingerprint,
    ca_serial = package.CaSerial,
    folder = package.Folder,
    archive = package.Archive,
    files = package.Files,
};
