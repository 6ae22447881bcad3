// @runbook  restore-secrets
// @version  1.1.0
// @summary  Restore a tenant's secrets from a backup, re-encrypted to its active key, optionally into every store (spec §7.3)
// @param    file   required  Path of the backup of the tenant's secrets.enc.yaml (SOPS YAML); checked before anything is touched
// @param    apply  default=false allowed=true|false  true: also give every store the restored credentials and end the old sessions (§7.4)
#load "shared/isolation-checks.csx"

// The key that opens the backup is found from the backup's own age recipients and the registry's key history: a backup
// older than the oldest retained key fails in step 1, naming the purge. Steps 1 and 2 only read (a dry run shows both).
// At every moment secrets.enc.yaml is a whole file encrypted to the active key: today's or the restored one. Until the
// stores receive the restored credentials a failure puts the replaced file back; from step 4 on, a re-run completes it.

// Without apply=true a backup whose store credentials differ from today's is refused in step 2 (exit 2, nothing changed):
// installed alone it would leave secrets the stores reject. The tenant CA key is never taken from a backup.
var restore = Keys.Restore(Param("file"), applyToStores: Param("apply") == "true");

var key = await Step("§7.3 1. find the key that opens the backup (its age recipients) and check the backup's MAC with it", restore.CheckBackup);
var difference = await Step("§7.3 2. compare with today's secrets (key names only, never values)", restore.CompareWithCurrent);
await Step("§7.3 3. re-encrypt the backup to the active key and install it atomically (the replaced file kept for rollback)", restore.Install());

if (Param("apply") == "true")
{
    await Step("§7.3 4. the stores receive the restored credentials: from here a re-run completes the restore", restore.CommitToStores());
    await Step("§7.4 MinIO: the tenant user's secret key from the backup", Minio.RotateSecret());
    await Step("§7.4 PostgreSQL: the tenant role's password from the backup", Postgres.ChangePassword());
    await Step("§7.4 PostgreSQL: end the sessions opened with the replaced password", Postgres.EndSessions());
    await Step("§7.4 Qdrant: revoke every tenant token, issue a new one into the secrets file", Qdrant.IssueToken(revokeExisting: true));
    await Step("§7.4 Redis: the tenant ACL user's password from the backup", Redis.ChangePassword());
    await Step("§7.4 Redis: end the connections opened with the replaced password", Redis.EndSessions());
}
else
{
    Skip("§7.3 4. apply the restored credentials to the stores", "apply=true not given: the stores keep the credentials they have");
}

// §7.3 5.: the tenant verifies with the restored secrets, as after provision and rotate-keys.
await VerifyIsolation("§9.1");

return new
{
    backup_key_version = key.KeyVersion,
    backup_key = key.Detail,
    added = difference.Added,
    removed = difference.Removed,
    changed = difference.Changed,
    kept_file = restore.KeptFile,
    applied_to_stores = restore.CommittedToStores,
};
