using System.Text.Json.Nodes;
using CliWrap;
using CliWrap.Buffered;
using Npgsql;
using RunbookHost.Keys.KeyRing;
using RunbookHost.Keys.Sops;
using RunbookHost.Runbooks;
using RunbookHost.Tenants;
using RunbookHost.Tests.Host;
using RunbookHost.Tests.Support;

namespace RunbookHost.Tests.Runbooks;

/// <summary>
/// Backup recovery (spec §7.3, issue 16) through the real host against real PostgreSQL and Redis and the class's own
/// registry: a backup of a tenant's secrets is mapped to the key that opens it by its age recipients, restored by the
/// restore-secrets runbook (optionally into the stores), survives SIGKILL at every point, and a purge names what it costs.
/// What the product claims is checked from outside: the age CLI opens the backup's data key with the key file named, SQL
/// reads the key history, psql and redis-cli log in with the restored and the replaced credentials.
/// </summary>
public sealed partial class BackupRecoveryTests(StorageEnvironment stores) : IClassFixture<StorageEnvironment>
{
    private const int KilledBySigkill = 128 + 9;

    [Fact]
    public async Task BackupsFromBeforeOneAndBeforeTwoRotationsAreEachDecryptedWithTheTenantAloneAndTheKeyVersionIsNamed()
    {
        using var host = stores.NewHost(allStores: false);
        var tenant = TestServers.NewTenantId();
        var ring = new TenantKeyRing(host.SecretsDir);
        await Run(host, "provision", tenant);
        try
        {
            var beforeTwo = Backup(host, ring, tenant, "before-two.enc.yaml");
            var values = ring.LoadSecrets(tenant);
            await Run(host, "rotate-keys", tenant, "reason=scheduled");
            var beforeOne = Backup(host, ring, tenant, "before-one.enc.yaml");
            await Run(host, "rotate-keys", tenant, "reason=scheduled");

            foreach (var (backup, version) in new[] { (beforeTwo, 1), (beforeOne, 2) })
            {
                var decrypted = await host.Run("secrets", "decrypt", "--tenant", tenant.Value, backup);
                Assert.True(decrypted.ExitCode == 0, decrypted.StandardError);
                Assert.Contains($"decrypted with key version {version} of tenant {tenant}", decrypted.StandardError);
                Assert.Contains("ARCHIVED, valid 20", decrypted.StandardError);
                Assert.Contains($"postgres_password: {values.PostgresPassword}", decrypted.StandardOutput);
                Assert.DoesNotContain(values.PostgresPassword, decrypted.StandardError);

                // From outside: the registry row of that version names the backup's recipient and a key file, and the age CLI
                // opens the backup's data key with exactly that file.
                var row = await KeyHistoryRow(tenant, version);
                Assert.Equal("ARCHIVED", row.Status);
                Assert.Equal(Recipient(backup), row.PublicKey);
                Assert.NotNull(row.ValidTo);
                var keyFile = Path.Combine(ring.Files(tenant).Folder, row.KeyFile!);
                Assert.Equal(32, (await AgeDecryptDataKey(backup, keyFile)).Length);
                Assert.Empty(await AgeDecryptDataKey(backup, ring.Files(tenant).Key)); // the active key does not open it
            }

            var hostile = await host.Run("secrets", "decrypt", "--tenant", "../acme", beforeOne);
            Assert.Equal(2, hostile.ExitCode);
            Assert.Empty(hostile.StandardOutput);
            Assert.Equal(2, (await host.Run("secrets", "decrypt", "--tenant", tenant.Value, "--identity", ring.Files(tenant).Key, beforeOne)).ExitCode);

            var listing = await host.Run("tenants", "--keys", tenant.Value, "--json");
            Assert.True(listing.ExitCode == 0, listing.StandardError);
            var versions = JsonNode.Parse(listing.StandardOutput)!.AsArray();
            Assert.Equal([3, 2, 1], versions.Select(v => v!["key_version"]!.GetValue<int>()));
            Assert.Equal(ring.PublicKey(tenant), versions[0]!["public_key"]!.GetValue<string>());
            Assert.Equal("key.age", versions[0]!["key_file"]!.GetValue<string>());
            Assert.Equal(versions[1]!["valid_from"]!.GetValue<DateTimeOffset>(), versions[2]!["valid_to"]!.GetValue<DateTimeOffset>());
        }
        finally
        {
            await host.Run("run", "deprovision", "--tenant", tenant.Value);
        }
    }

    [Fact]
    public async Task RestoreSecretsInstallsTheBackupReEncryptedToTheActiveKeyShowsOnlyKeyNamesAndTheTenantVerifies()
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
            // Damage a credential the stores do not hold (an operator's mistake), so the stores still accept the backup's.
            await ring.ReplaceSecrets(tenant, backedUp.With(TenantSecrets.TenantApiKeyName, "overwritten-by-mistake-0123456789")).ApplyAsync(default);
            var damaged = ring.LoadSecrets(tenant);
            var folderBefore = Snapshot(ring.Files(tenant).Folder);

            var dryRun = await host.Run("run", "restore-secrets", "--tenant", tenant.Value, "--param", $"file={backup}", "--dry-run");
            Assert.True(dryRun.ExitCode == 0, dryRun.StandardError);
            Assert.Contains("opened by key version 1 of tenant", dryRun.StandardError);
            Assert.Contains("added: none; removed: none; changed: tenant_api_key", dryRun.StandardError);
            Assert.Contains("[dry-run] §7.3 3. re-encrypt the backup", dryRun.StandardError);
            Assert.Equal(folderBefore, Snapshot(ring.Files(tenant).Folder));

            var evidence = await Run(host, "restore-secrets", tenant, $"file={backup}");

            var restored = ring.LoadSecrets(tenant);
            Assert.True(restored.HasSameValuesAs(backedUp));
            var installed = File.ReadAllBytes(ring.Files(tenant).Secrets);
            Assert.Equal([ring.PublicKey(tenant)], Sops.ReadMetadata(installed, SopsFormat.Yaml).Age.Select(a => a.Recipient));
            Assert.Equal(32, (await AgeDecryptDataKey(ring.Files(tenant).Secrets, ring.Files(tenant).Key)).Length);
            var kept = Assert.Single(Directory.GetFiles(ring.Files(tenant).Folder, "secrets-*-replaced.enc.yaml"));
            if (!OperatingSystem.IsWindows())
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(kept));
            Assert.Equal(32, (await AgeDecryptDataKey(kept, ring.Files(tenant).Key)).Length);

            var record = StorageEnvironment.Predicate(evidence);
            Assert.Equal("passed", record["outcome"]!.GetValue<string>());
            var steps = record["steps"]!.AsArray();
            Assert.Contains(steps, s => s!["detail"]?.GetValue<string>() == "added: none; removed: none; changed: tenant_api_key");
            Assert.Contains(steps, s => s!["detail"]?.GetValue<string>().StartsWith("opened by key version 1", StringComparison.Ordinal) == true);
            Assert.Contains(StorageEnvironment.Checks(evidence), c => c.Store == "postgresql" && c.Pass);
            Assert.Contains(StorageEnvironment.Checks(evidence), c => c.Store == "redis" && c.Pass);
            Assert.All(StorageEnvironment.Checks(evidence), c => Assert.True(c.Pass || c.Result.StartsWith("SKIPPED", StringComparison.Ordinal), $"{c.Store}/{c.Test}: {c.Result}"));
            var text = File.ReadAllText(evidence) + Payload(evidence);
            foreach (var secret in new[] { backedUp.PostgresPassword, backedUp.RedisPassword, backedUp.TenantApiKey, damaged.TenantApiKey })
                Assert.DoesNotContain(secret, text);
            Assert.Equal(0, (await host.VerifyEvidenceOffline()).ExitCode);
        }
        finally
        {
            await host.Run("run", "deprovision", "--tenant", tenant.Value);
        }
    }

    [Fact]
    public async Task WithApplyTheStoresAcceptTheRestoredCredentialsRefuseTheReplacedOnesAndTheirSessionsEnd()
    {
        using var host = stores.NewHost(allStores: false);
        var tenant = TestServers.NewTenantId();
        var ring = new TenantKeyRing(host.SecretsDir);
        await Run(host, "provision", tenant);
        try
        {
            var backup = Backup(host, ring, tenant, "backup.enc.yaml");
            var backedUp = ring.LoadSecrets(tenant);
            await Run(host, "rotate-keys", tenant, "reason=emergency");
            var replaced = ring.LoadSecrets(tenant);
            Assert.True(replaced.SharesNoCredentialWith(backedUp));
            await using var openSession = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(TestServers.PostgresAdmin)
            {
                Username = $"tenant_{tenant}_user", Password = replaced.PostgresPassword, Database = $"tenant_{tenant}", Pooling = false,
            }.ConnectionString);
            await openSession.OpenAsync();
            using var openRedis = await RawRedisSession.OpenAsync($"tenant_{tenant}_user", replaced.RedisPassword);

            var evidence = await Run(host, "restore-secrets", tenant, $"file={backup}", "apply=true");

            Assert.True(ring.LoadSecrets(tenant).HasSameValuesAs(backedUp));
            Assert.Equal(0, (await Psql(tenant, backedUp.PostgresPassword)).ExitCode);
            var refusedPsql = await Psql(tenant, replaced.PostgresPassword);
            Assert.NotEqual(0, refusedPsql.ExitCode);
            Assert.Contains("password authentication failed", refusedPsql.StandardError);
            Assert.Equal("OK", (await RedisCli(tenant, backedUp.RedisPassword, "SET", $"tenant:{tenant}:probe", "1")).StandardOutput.Trim());
            var refusedRedis = await RedisCli(tenant, replaced.RedisPassword, "SET", $"tenant:{tenant}:probe", "1");
            Assert.DoesNotContain("OK", refusedRedis.StandardOutput);
            Assert.Matches("WRONGPASS|NOAUTH", refusedRedis.StandardOutput + refusedRedis.StandardError); // AUTH refused, so the SET is too
            await using (var stillThere = new NpgsqlCommand("SELECT 1", openSession))
                await Assert.ThrowsAnyAsync<NpgsqlException>(() => stillThere.ExecuteScalarAsync());
            Assert.Null(await openRedis.PingAsync());

            var record = StorageEnvironment.Predicate(evidence);
            Assert.Equal("passed", record["outcome"]!.GetValue<string>());
            Assert.True(record["result"]!["applied_to_stores"]!.GetValue<bool>());
            Assert.Contains(record["steps"]!.AsArray(), s => s!["detail"]?.GetValue<string>() ==
                "added: none; removed: none; changed: minio_secret_key, postgres_password, qdrant_api_key, redis_password, tenant_api_key " +
                "(store credentials differ: the stores accept the backup's only with apply=true)");
            Assert.Contains(record["steps"]!.AsArray(), s => s!["name"]!.GetValue<string>().StartsWith("§7.4 PostgreSQL: end the sessions", StringComparison.Ordinal)
                                                             && s["status"]!.GetValue<string>() == "succeeded");
        }
        finally
        {
            await host.Run("run", "deprovision", "--tenant", tenant.Value);
        }
    }

    [Fact]
    public async Task PurgeNamesTheBackupDatesItMakesUnrecoverableAndDecryptingOrRestoringSuchABackupNamesThePurge()
    {
        using var host = stores.NewHost(allStores: false);
        var tenant = TestServers.NewTenantId();
        var ring = new TenantKeyRing(host.SecretsDir);
        await Run(host, "provision", tenant);
        try
        {
            var backup = Backup(host, ring, tenant, "old.enc.yaml");
            await Run(host, "rotate-keys", tenant, "reason=scheduled");
            var version1 = await KeyHistoryRow(tenant, 1);

            var dryRun = await host.Run("run", "purge-archived-keys", "--tenant", tenant.Value, "--param", "retention-days=0", "--dry-run");
            Assert.True(dryRun.ExitCode == 0, dryRun.StandardError);
            var window = $"backups taken {Stamp(version1.ValidFrom)} .. {Stamp(version1.ValidTo!.Value)} (key version 1)";
            Assert.Contains($"purge {version1.KeyFile} (shred -u): {window} become unrecoverable", dryRun.StandardError);
            Assert.True(File.Exists(Path.Combine(ring.Files(tenant).Folder, version1.KeyFile!)));

            var purge = await Run(host, "purge-archived-keys", tenant, "retention-days=0");
            var purgeRecord = StorageEnvironment.Predicate(purge);
            Assert.Contains(purgeRecord["steps"]!.AsArray(), s => s!["name"]!.GetValue<string>().Contains(window, StringComparison.Ordinal));
            Assert.Equal(window, purgeRecord["result"]!["unrecoverable_backups"]![0]!["backups"]!.GetValue<string>());
            var purged = await KeyHistoryRow(tenant, 1);
            Assert.Equal("PURGED", purged.Status);
            Assert.Equal(version1.KeyFile, purged.KeyFile);

            var decrypt = await host.Run("secrets", "decrypt", "--tenant", tenant.Value, backup);
            Assert.Equal(3, decrypt.ExitCode);
            Assert.Empty(decrypt.StandardOutput);
            Assert.Contains($"key version 1 of tenant {tenant} ({version1.KeyFile}, valid {Stamp(version1.ValidFrom)} .. {Stamp(version1.ValidTo!.Value)}), which was purged on {Stamp(purged.PurgedAt!.Value)}", decrypt.StandardError);
            Assert.DoesNotContain("no usable key", decrypt.StandardError);

            var secretsBefore = File.ReadAllBytes(ring.Files(tenant).Secrets);
            var restore = await host.Run("run", "restore-secrets", "--tenant", tenant.Value, "--param", $"file={backup}");
            Assert.Equal(3, restore.ExitCode);
            Assert.Contains($"which was purged on {Stamp(purged.PurgedAt!.Value)}", restore.StandardOutput + restore.StandardError);
            Assert.Equal(secretsBefore, File.ReadAllBytes(ring.Files(tenant).Secrets));
        }
        finally
        {
            await host.Run("run", "deprovision", "--tenant", tenant.Value);
        }
    }

    [Fact]
    public async Task AFileParameterThatIsNoBackupIsRefusedWithExitTwoBeforeAnythingIsTouched()
    {
        using var host = stores.NewHost(allStores: false);
        var tenant = TestServers.NewTenantId();
        var ring = new TenantKeyRing(host.SecretsDir);
        await Run(host, "provision", tenant);
        try
        {
            var backup = Backup(host, ring, tenant, "backup.enc.yaml");
            var link = Path.Combine(host.WorkDir, "link.enc.yaml");
            File.CreateSymbolicLink(link, backup);
            var plain = Path.Combine(host.WorkDir, "plain.yaml");
            File.WriteAllText(plain, "postgres_password: not-encrypted\n");
            var huge = Path.Combine(host.WorkDir, "huge.enc.yaml");
            File.WriteAllBytes(huge, new byte[SecretsRestore.MaxBackupBytes + 1]);
            var before = Snapshot(ring.Files(tenant).Folder);

            foreach (var (file, message) in new[]
                     {
                         (Path.Combine(host.WorkDir, "missing.enc.yaml"), "no such file"), (link, "symbolic link"), (host.WorkDir, "is a folder"),
                         (plain, "not a SOPS-encrypted YAML file"), (huge, "a tenant secrets file is at most"),
                     })
            {
                var run = await host.Run("run", "restore-secrets", "--tenant", tenant.Value, "--param", $"file={file}");
                Assert.True(run.ExitCode == 2, $"{file}: exit {run.ExitCode}\n{run.StandardOutput}{run.StandardError}");
                Assert.Contains(message, run.StandardOutput + run.StandardError);
                Assert.Equal(before, Snapshot(ring.Files(tenant).Folder));
            }
        }
        finally
        {
            await host.Run("run", "deprovision", "--tenant", tenant.Value);
        }
    }

    public static TheoryData<string> RestoreKillPoints() => new([.. CrashTestHook.RestorePoints, "step:3"]);

    [Theory]
    [MemberData(nameof(RestoreKillPoints))]
    public async Task ARestoreKilledWithSigkillLeavesTheOldOrTheRestoredSecretsOpenedByTheActiveKeyAndTheRerunCompletesIt(string killPoint)
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
            await ring.ReplaceSecrets(tenant, backedUp.With(TenantSecrets.TenantApiKeyName, "overwritten-by-mistake-0123456789")).ApplyAsync(default);
            var today = ring.LoadSecrets(tenant);

            host.Environment[CrashTestHook.Variable] = killPoint;
            var killed = await host.Run("run", "restore-secrets", "--tenant", tenant.Value, "--param", $"file={backup}");
            host.Environment.Remove(CrashTestHook.Variable);

            Assert.True(killed.ExitCode == KilledBySigkill, $"expected SIGKILL at {killPoint}, got {killed.ExitCode}: {killed.StandardError}");
            var secrets = ring.Files(tenant).Secrets;
            Assert.Equal(32, (await AgeDecryptDataKey(secrets, ring.Files(tenant).Key)).Length);
            var atKill = ring.LoadSecrets(tenant);
            Assert.True(atKill.HasSameValuesAs(today) || atKill.HasSameValuesAs(backedUp), "the secrets are neither today's nor the backup's");
            Assert.Equal(killPoint != "restore:kept", atKill.HasSameValuesAs(backedUp));
            Assert.Equal("running", await RunStatus(tenant, "restore-secrets")); // the killed run is on record, unfinished

            var rerun = await Run(host, "restore-secrets", tenant, $"file={backup}");

            Assert.True(ring.LoadSecrets(tenant).HasSameValuesAs(backedUp));
            Assert.Equal("passed", StorageEnvironment.Predicate(rerun)["outcome"]!.GetValue<string>());
            Assert.Empty(Directory.GetFiles(ring.Files(tenant).Folder, ".*.tmp"));
            foreach (var kept in Directory.GetFiles(ring.Files(tenant).Folder, "secrets-*-replaced.enc.yaml"))
                Assert.Equal(32, (await AgeDecryptDataKey(kept, ring.Files(tenant).Key)).Length);
        }
        finally
        {
            await host.Run("run", "deprovision", "--tenant", tenant.Value);
        }
    }

    // ------------------------------------------------------------------ helpers

    private static Task<string> Run(HostProcess host, string runbook, TenantId tenant, params string[] parameters)
    {
        string[] args = ["run", runbook, "--tenant", tenant.Value, .. parameters.SelectMany(p => new[] { "--param", p }), "--json"];
        return RunJson(host, args);
    }

    private static async Task<string> RunJson(HostProcess host, string[] args)
    {
        var run = await host.Run(args);
        Assert.True(run.ExitCode == 0, $"{string.Join(' ', args)}: exit {run.ExitCode}\n{run.StandardOutput}\n{run.StandardError}");
        return JsonNode.Parse(run.StandardOutput)!["evidence"]!.GetValue<string>();
    }

    /// <summary>A copy of the tenant's secrets file as a backup tool would take it, outside the secrets folder.</summary>
    private static string Backup(HostProcess host, TenantKeyRing ring, TenantId tenant, string name)
    {
        var path = Path.Combine(host.WorkDir, name);
        File.Copy(ring.Files(tenant).Secrets, path);
        return path;
    }

    private static string Recipient(string sopsFile) => Assert.Single(Sops.ReadMetadata(File.ReadAllBytes(sopsFile), SopsFormat.Yaml).Age).Recipient;

    /// <summary>The real age CLI unwraps the file's SOPS data key with <paramref name="keyFile"/>: 32 bytes, or empty when that key does not open it.</summary>
    private static async Task<byte[]> AgeDecryptDataKey(string sopsFile, string keyFile)
    {
        var stanza = Assert.Single(Sops.ReadMetadata(File.ReadAllBytes(sopsFile), SopsFormat.Yaml).Age).Enc;
        using var output = new MemoryStream();
        var result = await CliWrap.Cli.Wrap("age").WithArguments(["--decrypt", "--identity", keyFile])
            .WithStandardInputPipe(PipeSource.FromString(stanza))
            .WithStandardOutputPipe(PipeTarget.ToStream(output))
            .WithValidation(CommandResultValidation.None)
            .ExecuteAsync();
        return result.ExitCode == 0 ? output.ToArray() : [];
    }

    private sealed record KeyRow(string Status, string? PublicKey, string? KeyFile, DateTimeOffset ValidFrom, DateTimeOffset? ValidTo, DateTimeOffset? PurgedAt);

    private async Task<KeyRow> KeyHistoryRow(TenantId tenant, int version)
    {
        await using var conn = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(TestServers.PostgresAdmin) { Database = stores.RegistryDatabase }.ConnectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand(
            "SELECT status, age_public_key, key_file, valid_from, valid_to, purged_at FROM tenant_key_history WHERE tenant_id = $1 AND key_version = $2", conn);
        cmd.Parameters.AddWithValue(tenant.Value);
        cmd.Parameters.AddWithValue(version);
        await using var r = await cmd.ExecuteReaderAsync();
        Assert.True(await r.ReadAsync(), $"no key version {version}");
        return new KeyRow(r.GetString(0), r.IsDBNull(1) ? null : r.GetString(1), r.IsDBNull(2) ? null : r.GetString(2), r.GetFieldValue<DateTimeOffset>(3),
            r.IsDBNull(4) ? null : r.GetFieldValue<DateTimeOffset>(4), r.IsDBNull(5) ? null : r.GetFieldValue<DateTimeOffset>(5));
    }

    private async Task<string> RunStatus(TenantId tenant, string runbook)
    {
        await using var conn = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(TestServers.PostgresAdmin) { Database = stores.RegistryDatabase }.ConnectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand("SELECT status FROM runbook_runs WHERE tenant_id = $1 AND runbook = $2 ORDER BY started_at DESC LIMIT 1", conn);
        cmd.Parameters.AddWithValue(tenant.Value);
        cmd.Parameters.AddWithValue(runbook);
        return (string)(await cmd.ExecuteScalarAsync())!;
    }

    private static string Stamp(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);

    private static string Payload(string evidenceFile) =>
        System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(JsonNode.Parse(File.ReadAllText(evidenceFile))!["payload"]!.GetValue<string>()));

    private static Dictionary<string, string> Snapshot(string folder) => Directory.GetFiles(folder)
        .ToDictionary(f => Path.GetFileName(f), f => Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(f))));

    private static Task<BufferedCommandResult> Psql(TenantId tenant, string password) =>
        CliWrap.Cli.Wrap("psql")
            .WithArguments(["-h", "127.0.0.1", "-U", $"tenant_{tenant}_user", "-d", $"tenant_{tenant}", "-c", "select 1"])
            .WithEnvironmentVariables(e => e.Set("PGPASSWORD", password).Set("PGCONNECT_TIMEOUT", "5"))
            .WithValidation(CommandResultValidation.None)
            .ExecuteBufferedAsync();

    private static Task<BufferedCommandResult> RedisCli(TenantId tenant, string password, params string[] command) =>
        CliWrap.Cli.Wrap("redis-cli")
            .WithArguments(["-h", "127.0.0.1", "--no-auth-warning", "--user", $"tenant_{tenant}_user", "--pass", password, .. command])
            .WithValidation(CommandResultValidation.None)
            .ExecuteBufferedAsync();
}
