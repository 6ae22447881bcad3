// @runbook  purge-archived-keys
// @version  2.2.0
// @summary  Shred a tenant's archived age keys older than the retention: ARCHIVED -> PURGED (spec §7.3, §8.3)
// @param    retention-days  type=int  Days an archived key is kept (default: Keys.ArchiveRetentionDays, 90)

var retentionDays = Keys.RetentionDays(Param("retention-days"));
var due = await Step($"§7.3 list archived keys archived {retentionDays} or more days ago", () => Keys.DueForPurge(Param("retention-days")));

if (due.Count == 0)
    Skip("§7.3 purge archived keys", $"no archived key is {retentionDays} or more days old");

// What the purge costs: a backup a key encrypted cannot be restored once that key is shredded (its window, from the key history).
var lost = await Step("§7.3 the dates of the backups that will no longer be recoverable, per key", () => Keys.BackupsLostByPurge(due));

// A deprovisioned tenant (no active key) keeps its secrets file only as long as some archived key may be
// needed to read it. Once every key that still opens it is past retention, the file goes first, then the keys.
var keysOpeningSecrets = Keys.KeysOpeningSecrets();
if (Keys.IsDeprovisionedWithSecrets && keysOpeningSecrets.Count > 0 && keysOpeningSecrets.All(k => due.Any(d => d.Path == k.Path)))
    await Step("§7.3 purge the deprovisioned tenant's secrets file (its keys are all past retention)", Keys.PurgeDeprovisionedSecrets());

foreach (var key in due)
{
    // A key that still opens the current secrets file is never purged: that would leave secrets no key decrypts.
    if (Keys.StillDecryptsSecrets(key))
    {
        Skip($"§7.3 purge {key.FileName}", "it still decrypts the tenant's secrets file");
        continue;
    }
    await Step($"§7.3 purge {key.FileName} (shred -u): {lost.UnrecoverableBackups(key)} become unrecoverable", Keys.PurgeArchivedKey(key));
    await Checks($"§7.3 {key.FileName} is gone", Keys.VerifyPurged(key));
    await Step($"§8.3 mark {key.FileName} PURGED in the registry", Registry.MarkPurged(key));
}

// A restore keeps the replaced secrets file for rollback; past the retention it only keeps old credentials and CA keys alive.
await Step($"§7.3 remove secrets files kept by restores {retentionDays} or more days ago", Keys.PurgeReplacedSecrets(retentionDays));

var purged = due.Where(k => !System.IO.File.Exists(k.Path)).ToList();
return new
{
    retention_days = retentionDays,
    purged = purged.Select(k => k.FileName).ToList(),
    unrecoverable_backups = purged.Select(k => new { key = k.FileName, backups = lost.UnrecoverableBackups(k) }).ToList(),
};
