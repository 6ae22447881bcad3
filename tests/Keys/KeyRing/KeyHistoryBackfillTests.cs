using Npgsql;
using RunbookHost.Keys.KeyRing;
using RunbookHost.Keys.Sops;
using RunbookHost.Registry;
using RunbookHost.Tests.Registry;
using RunbookHost.Tests.Support;

namespace RunbookHost.Tests.Keys.KeyRing;

/// <summary>
/// Migration 8 on a registry that already has tenants: the key history written before it (hash only) is backfilled, from
/// the registry for the active key and from the key files on disk for archived ones, so an old backup maps to its key.
/// </summary>
public sealed class KeyHistoryBackfillTests : IAsyncLifetime, IDisposable
{
    private readonly KeyRingTestEnvironment env = new();
    private readonly TenantRegistry registry = new(TestServers.PostgresAdmin, TestServers.NewDatabaseName("rbh_registry_backfill"));

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => RegistryDatabase.Drop(registry);

    public void Dispose() => env.Dispose();

    [Fact]
    public async Task KeyHistoryWrittenBeforeMigration8IsBackfilledAndAnOldBackupMapsToItsArchivedKey()
    {
        await ApplyMigrationsBefore(8);
        var tenant = TestServers.NewTenantId();
        await registry.RegisterAsync(tenant);
        await env.ProvisionAsync(tenant);
        var firstKey = env.Ring.PublicKey(tenant);
        var backup = File.ReadAllBytes(env.Ring.Files(tenant).Secrets);
        await env.RotateAsync(tenant: tenant);
        var secondKey = env.Ring.PublicKey(tenant);
        var rotatedAt = KeyRingTestEnvironment.Start.AddDays(90);
        // What the registry of the time recorded: hashes and dates only.
        await Sql("INSERT INTO tenant_key_history (tenant_id, key_version, public_key_hash, status, created_at, archived_at) VALUES ($1, 1, $2, 'ARCHIVED', $3, $4)",
            tenant.Value, TenantRegistry.PublicKeyHash(firstKey), KeyRingTestEnvironment.Start, rotatedAt);
        await Sql("INSERT INTO tenant_key_history (tenant_id, key_version, public_key_hash, status, created_at) VALUES ($1, 2, $2, 'ACTIVE', $3)",
            tenant.Value, TenantRegistry.PublicKeyHash(secondKey), rotatedAt);
        await Sql("UPDATE tenants SET age_public_key = $2, key_version = 2 WHERE tenant_id = $1", tenant.Value, secondKey);

        Assert.Equal([8], await registry.EnsureSchemaAsync());

        var migrated = await registry.GetKeyHistoryAsync(tenant);
        Assert.Equal((secondKey, "key.age", rotatedAt, (DateTimeOffset?)null), (migrated[0].AgePublicKey, migrated[0].KeyFile, migrated[0].ValidFrom!.Value, migrated[0].ValidTo));
        Assert.Equal((null, null, KeyRingTestEnvironment.Start, rotatedAt), (migrated[1].AgePublicKey, migrated[1].KeyFile, migrated[1].ValidFrom!.Value, migrated[1].ValidTo));

        var synced = await BackupKeys.SyncHistoryAsync(env.Ring, registry, tenant, CancellationToken.None);
        var archive = Assert.Single(env.Ring.ArchivedKeys(tenant));
        Assert.Equal((firstKey, archive.FileName), (synced[1].AgePublicKey, synced[1].KeyFile));

        var found = BackupKeys.Find(env.Ring, tenant, backup, SopsFormat.Yaml, synced);
        Assert.True(found.CanDecrypt);
        Assert.Equal(1, found.KeyVersion);
        Assert.Contains($"key version 1 of tenant {tenant} ({archive.FileName}, ARCHIVED, valid 2026-11-27T09:30:00Z .. 2027-02-25T09:30:00Z)", found.Explain());
    }

    private async Task ApplyMigrationsBefore(int version)
    {
        await using (var admin = new NpgsqlConnection(TestServers.PostgresAdmin))
        {
            await admin.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE \"{registry.Database}\"", admin);
            await create.ExecuteNonQueryAsync();
        }
        await Sql("CREATE TABLE schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())");
        foreach (var migration in RegistryMigrations.All.Where(m => m.Version < version))
        {
            await Sql(migration.Sql);
            await Sql("INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", migration.Version, migration.Name);
        }
    }

    private async Task Sql(string sql, params object[] parameters)
    {
        await using var conn = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(TestServers.PostgresAdmin) { Database = registry.Database }.ConnectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, conn);
        foreach (var p in parameters)
            cmd.Parameters.AddWithValue(p);
        await cmd.ExecuteNonQueryAsync();
    }
}
