using RunbookHost.Keys.KeyRing;
using RunbookHost.Pki;
using RunbookHost.Tests.Support;

namespace RunbookHost.Tests.Runbooks;

/// <summary>What a restore must never do (review findings on backup recovery): give the tenant back a retired CA key or drop
/// the live one, install credentials the stores reject, accept a file from outside its key's validity window.</summary>
public sealed partial class BackupRecoveryTests
{
    [Fact]
    public async Task RestoreKeepsTheTenantsCurrentCaKeyWhetherTheBackupHoldsARetiredOneOrNoneAndNeverNamesIt()
    {
        using var host = stores.NewHost(allStores: false);
        var tenant = TestServers.NewTenantId();
        var ring = new TenantKeyRing(host.SecretsDir);
        await Run(host, "provision", tenant);
        try
        {
            var provisioned = ring.LoadSecrets(tenant);
            var retiredCaKey = provisioned.ValueOf(PkiService.TenantCaKeyName);
            Assert.NotNull(retiredCaKey); // provision made the tenant's CA and put its key in the secrets file
            await ring.ReplaceSecrets(tenant, provisioned.Without(PkiService.TenantCaKeyName)).ApplyAsync(default);
            var withoutCa = Backup(host, ring, tenant, "before-the-ca.enc.yaml");
            await ring.ReplaceSecrets(tenant, provisioned).ApplyAsync(default);
            var withRetiredCa = Backup(host, ring, tenant, "with-retired-ca.enc.yaml");
            await Run(host, "rotate-tenant-ca", tenant, "reason=emergency");
            var liveCaKey = ring.LoadSecrets(tenant).ValueOf(PkiService.TenantCaKeyName);
            Assert.NotNull(liveCaKey);
            Assert.NotEqual(retiredCaKey, liveCaKey);

            foreach (var backup in new[] { withRetiredCa, withoutCa })
            {
                // An operator's mistake the backup repairs, a credential no store holds.
                await ring.ReplaceSecrets(tenant, ring.LoadSecrets(tenant).With(TenantSecrets.TenantApiKeyName, "overwritten-by-mistake-0123456789")).ApplyAsync(default);
                var evidence = await Run(host, "restore-secrets", tenant, $"file={backup}");

                var restored = ring.LoadSecrets(tenant);
                Assert.Equal(liveCaKey, restored.ValueOf(PkiService.TenantCaKeyName));
                Assert.Equal(provisioned.TenantApiKey, restored.TenantApiKey);
                var record = StorageEnvironment.Predicate(evidence);
                Assert.Contains(record["steps"]!.AsArray(), s => s!["detail"]?.GetValue<string>() == "added: none; removed: none; changed: tenant_api_key");
                Assert.DoesNotContain(record["steps"]!.AsArray(), s => s!["detail"]?.GetValue<string>().Contains(PkiService.TenantCaKeyName, StringComparison.Ordinal) == true);
                Assert.DoesNotContain(liveCaKey, File.ReadAllText(evidence) + Payload(evidence));
            }
        }
        finally
        {
            await host.Run("run", "deprovision", "--tenant", tenant.Value);
        }
    }

    [Fact]
    public async Task ABackupWhoseStoreCredentialsDifferIsRefusedWithExitTwoWithoutApplyAndNothingChanges()
    {
        using var host = stores.NewHost(allStores: false);
        var tenant = TestServers.NewTenantId();
        var ring = new TenantKeyRing(host.SecretsDir);
        await Run(host, "provision", tenant);
        try
        {
            var backup = Backup(host, ring, tenant, "backup.enc.yaml");
            await Run(host, "rotate-keys", tenant, "reason=emergency");
            var today = ring.LoadSecrets(tenant);
            var before = Snapshot(ring.Files(tenant).Folder);

            foreach (var dryRun in new[] { true, false })
            {
                string[] args = ["run", "restore-secrets", "--tenant", tenant.Value, "--param", $"file={backup}", .. dryRun ? new[] { "--dry-run" } : []];
                var refused = await host.Run(args);
                Assert.True(refused.ExitCode == 2, $"dry-run {dryRun}: exit {refused.ExitCode}\n{refused.StandardOutput}{refused.StandardError}");
                Assert.Contains("store credentials differ from today's (minio_secret_key, postgres_password, qdrant_api_key, redis_password)", refused.StandardOutput + refused.StandardError);
                Assert.Contains("apply=true", refused.StandardOutput + refused.StandardError);
                Assert.Equal(before, Snapshot(ring.Files(tenant).Folder));
            }
            // From outside: the stores still accept today's credentials, and the secrets file still holds them.
            Assert.True(ring.LoadSecrets(tenant).HasSameValuesAs(today));
            Assert.Equal(0, (await Psql(tenant, today.PostgresPassword)).ExitCode);
            Assert.Equal("OK", (await RedisCli(tenant, today.RedisPassword, "SET", $"tenant:{tenant}:probe", "1")).StandardOutput.Trim());
        }
        finally
        {
            await host.Run("run", "deprovision", "--tenant", tenant.Value);
        }
    }

    [Fact]
    public async Task ABackupEncryptedToAnArchivedKeyAfterItsWindowEndedIsRefusedAndNothingChanges()
    {
        using var host = stores.NewHost(allStores: false);
        var tenant = TestServers.NewTenantId();
        var ring = new TenantKeyRing(host.SecretsDir);
        await Run(host, "provision", tenant);
        try
        {
            var values = ring.LoadSecrets(tenant);
            await Run(host, "rotate-keys", tenant, "reason=scheduled");
            var version1 = await KeyHistoryRow(tenant, 1);
            await Task.Delay(TimeSpan.FromSeconds(1.5)); // sops.lastmodified has whole seconds: clearly after valid_to
            // Anyone with the archived key's public key can write a file that opens with it and has a valid MAC, today.
            var forged = Path.Combine(host.WorkDir, "forged.enc.yaml");
            File.WriteAllBytes(forged, ring.Encrypt(values.With(TenantSecrets.TenantApiKeyName, "chosen-by-whoever-wrote-the-file-0123"), [version1.PublicKey!]));
            var before = Snapshot(ring.Files(tenant).Folder);

            var refused = await host.Run("run", "restore-secrets", "--tenant", tenant.Value, "--param", $"file={forged}");

            Assert.True(refused.ExitCode == 3, $"exit {refused.ExitCode}\n{refused.StandardOutput}{refused.StandardError}");
            Assert.Contains($"outside the validity window of key version 1 of tenant {tenant} ({Stamp(version1.ValidFrom)} .. {Stamp(version1.ValidTo!.Value)})",
                refused.StandardOutput + refused.StandardError);
            Assert.Equal(before, Snapshot(ring.Files(tenant).Folder));
        }
        finally
        {
            await host.Run("run", "deprovision", "--tenant", tenant.Value);
        }
    }

    [Fact]
    public async Task ReadingTheKeyHistoryWritesNothingOnlyARealRestoreRecordsTheBackfill()
    {
        using var host = stores.NewHost(allStores: false);
        var tenant = TestServers.NewTenantId();
        var ring = new TenantKeyRing(host.SecretsDir);
        await Run(host, "provision", tenant);
        try
        {
            var backup = Backup(host, ring, tenant, "backup.enc.yaml");
            var backedUp = ring.LoadSecrets(tenant);
            await Run(host, "rotate-keys", tenant, "reason=scheduled");
            var archived = (await KeyHistoryRow(tenant, 1)).KeyFile;
            // A row as the registry wrote it before migration 8: no public key, no file name.
            await RegistrySql("UPDATE tenant_key_history SET age_public_key = NULL, key_file = NULL WHERE tenant_id = $1 AND key_version = 1", tenant.Value);

            var listing = await host.Run("tenants", "--keys", tenant.Value, "--json");
            Assert.True(listing.ExitCode == 0, listing.StandardError);
            Assert.Equal(archived, System.Text.Json.Nodes.JsonNode.Parse(listing.StandardOutput)!.AsArray()[1]!["key_file"]!.GetValue<string>()); // filled in memory
            Assert.Equal(0, (await host.Run("secrets", "decrypt", "--tenant", tenant.Value, backup)).ExitCode);
            Assert.Equal(0, (await host.Run("run", "restore-secrets", "--tenant", tenant.Value, "--param", $"file={backup}", "--dry-run")).ExitCode);
            Assert.Equal(0, (await host.Run("run", "purge-archived-keys", "--tenant", tenant.Value, "--param", "retention-days=0", "--dry-run")).ExitCode);
            var untouched = await KeyHistoryRow(tenant, 1);
            Assert.Equal((null, null), (untouched.PublicKey, untouched.KeyFile));

            await ring.ReplaceSecrets(tenant, backedUp.With(TenantSecrets.TenantApiKeyName, "overwritten-by-mistake-0123456789")).ApplyAsync(default);
            await Run(host, "restore-secrets", tenant, $"file={backup}");
            var recorded = await KeyHistoryRow(tenant, 1);
            Assert.Equal((Recipient(backup), archived), (recorded.PublicKey, recorded.KeyFile));
        }
        finally
        {
            await host.Run("run", "deprovision", "--tenant", tenant.Value);
        }
    }

    [Fact]
    public async Task PurgePastRetentionAndDeprovisionRemoveTheSecretsFilesRestoresKept()
    {
        using var host = stores.NewHost(allStores: false);
        var tenant = TestServers.NewTenantId();
        var ring = new TenantKeyRing(host.SecretsDir);
        await Run(host, "provision", tenant);
        var folder = ring.Files(tenant).Folder;
        try
        {
            var backup = Backup(host, ring, tenant, "backup.enc.yaml");
            var backedUp = ring.LoadSecrets(tenant);
            async Task RestoreKeepingAFile()
            {
                await ring.ReplaceSecrets(tenant, backedUp.With(TenantSecrets.TenantApiKeyName, "overwritten-by-mistake-0123456789")).ApplyAsync(default);
                await Run(host, "restore-secrets", tenant, $"file={backup}");
            }

            await RestoreKeepingAFile();
            var kept = Assert.Single(Directory.GetFiles(folder, "secrets-*-replaced.enc.yaml"));
            await Run(host, "purge-archived-keys", tenant, "retention-days=1");
            Assert.True(File.Exists(kept)); // kept today: inside the retention, still the restore's rollback
            await Run(host, "purge-archived-keys", tenant, "retention-days=0");
            Assert.Empty(Directory.GetFiles(folder, "secrets-*-replaced.enc.yaml"));

            await Task.Delay(TimeSpan.FromSeconds(1.1)); // a new name: kept files are named by the second
            await RestoreKeepingAFile();
            Assert.Single(Directory.GetFiles(folder, "secrets-*-replaced.enc.yaml"));
            await Run(host, "deprovision", tenant);
            Assert.Empty(Directory.GetFiles(folder, "secrets-*-replaced.enc.yaml"));
            Assert.Single(ring.ArchivedKeys(tenant)); // the key is archived as before, not removed
        }
        finally
        {
            await host.Run("run", "deprovision", "--tenant", tenant.Value);
        }
    }

    private async Task RegistrySql(string sql, params object[] parameters)
    {
        await using var conn = new Npgsql.NpgsqlConnection(new Npgsql.NpgsqlConnectionStringBuilder(TestServers.PostgresAdmin) { Database = stores.RegistryDatabase }.ConnectionString);
        await conn.OpenAsync();
        await using var cmd = new Npgsql.NpgsqlCommand(sql, conn);
        foreach (var p in parameters)
            cmd.Parameters.AddWithValue(p);
        await cmd.ExecuteNonQueryAsync();
    }
}
