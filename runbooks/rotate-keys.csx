// @runbook  rotate-keys
// @version  2.0.0
// @summary  Rotate a tenant's age key and re-encrypt its secrets, resumably (spec §7.2, §7.4, §8)
// @param    reason  required  allowed=scheduled|emergency|personnel  Why the key is rotated (spec §7.1)

// Every step below first looks at the tenant's key files and finishes whatever an interrupted earlier
// run left half done, so running this runbook again after a crash completes the same rotation once.
// At every moment some key file on disk decrypts the secrets (docs/keys.md, "Crash safety").
// No step registers an undo: a failed rotation is completed by a re-run, never rolled back.

var rotation = Keys.Rotation(Param("reason"));

await Step("§7.2 0. record the rotation in progress (or resume an unfinished one)", rotation.Begin());
await Step("§7.2 1. generate the new key as key-new.age", rotation.GenerateNewKey());
await Step("§7.2 2. safety check: the current key decrypts the secrets", rotation.CheckCurrentKeyDecrypts());
await Step("§7.2 3. rotate: new data key, recipient old -> new" + (rotation.IsEmergency ? ", credentials regenerated (§7.4)" : ""), rotation.RotateDataKey());
await Step("§7.2 4. verify: the new key decrypts the secrets, the old one does not", rotation.VerifyNewKeyDecrypts());
await Step("§7.2 5. archive the old key (kept for backup recovery, §7.3)", rotation.ArchiveOldKey());
await Step("§7.2 6. promote the new key to key.age and key.pub", rotation.PromoteNewKey());
await Step("§7.2 7. record the new key in the registry and audit KEY_ROTATED", Registry.RecordKeyRotation(rotation));
await Step("§7.2 8. complete the rotation", rotation.Complete());

// §7.4: an emergency also replaces every store credential. The secrets file already holds the new
// ones (step 3); these steps make the stores accept them and refuse the old ones. A new password only
// refuses new logins, so the sessions opened with the old one are ended right after it changes.
if (rotation.IsEmergency)
{
    await Step("§7.4 MinIO: the tenant user's new secret key", Minio.RotateSecret());
    await Step("§7.4 PostgreSQL: the tenant role's new password", Postgres.ChangePassword());
    await Step("§7.4 PostgreSQL: end the sessions opened with the old password", Postgres.EndSessions());
    await Step("§7.4 Qdrant: revoke every tenant token, issue a new one into the secrets file", Qdrant.IssueToken(revokeExisting: true));
    await Step("§7.4 Redis: the tenant ACL user's new password", Redis.ChangePassword());
    await Step("§7.4 Redis: end the connections opened with the old password", Redis.EndSessions());
}

await Checks("§7.2 the rotation holds: the active key decrypts the secrets, the old key is archived and no longer does", Keys.VerifyRotation(rotation));

return new
{
    reason = rotation.Reason,
    resumed = rotation.Resumed,
    old_public_key = rotation.OldPublicKey,
    new_public_key = rotation.NewPublicKey,
    archived_key = rotation.ArchivedKeyFile,
    notes = rotation.Notes,
};
