// @runbook  purge-archived-keys
// @version  1.0.0
// @summary  Shred a tenant's archived age keys older than the retention: ARCHIVED -> PURGED (spec §7.3, §8.3)
// @param    retention-days  type=int  Days an archived key is kept (default: Keys.ArchiveRetentionDays, 90)
using RunbookHost.Keys.KeyRing;

var keys = Keys;
var retentionDays = Param("retention-days") is { Length: > 0 } given ? int.Parse(given) : Settings.Keys.ArchiveRetentionDays;

var due = await Step($"§7.3 list archived keys archived {retentionDays} or more days ago",
    () => Task.FromResult(keys.ArchivedKeysDueForPurge(Tenant, retentionDays)));

if (due.Count == 0)
    Skip("§7.3 purge archived keys", $"no archived key is {retentionDays} or more days old");

// A deprovisioned tenant (no active key) keeps its secrets file only as long as some archived key may be
// needed to read it. Once every key that still opens it is past retention, the file goes first, then the keys.
var deprovisioned = !keys.HasKey(Tenant) && keys.HasSecrets(Tenant);
var keysOpeningSecrets = keys.ArchivedKeys(Tenant).Where(k => keys.StillDecryptsSecrets(Tenant, k)).ToList();
if (deprovisioned && keysOpeningSecrets.Count > 0 && keysOpeningSecrets.All(k => due.Any(d => d.Path == k.Path)))
    await Step("§7.3 purge the deprovisioned tenant's secrets file (its keys are all past retention)", keys.PurgeDeprovisionedSecrets(Tenant));

foreach (var key in due)
{
    // A key that still opens the current secrets file is never purged: that would leave secrets no key decrypts.
    if (keys.StillDecryptsSecrets(Tenant, key))
    {
        Skip($"§7.3 purge {key.FileName}", "it still decrypts the tenant's secrets file");
        continue;
    }
    await Step($"§7.3 purge {key.FileName} (shred -u)", keys.PurgeArchivedKey(Tenant, key));
    if (!DryRun)
    {
        var gone = !System.IO.File.Exists(key.Path);
        Check("keys", $"archived_key_purged {key.FileName}", gone ? "PASS" : "FAIL: the file is still there", gone);
    }
    await Step($"§8.3 mark {key.FileName} PURGED in the registry", Registry.MarkPurged(Tenant, key));
}

return new { retention_days = retentionDays, purged = due.Where(k => !System.IO.File.Exists(k.Path)).Select(k => k.FileName).ToList() };
