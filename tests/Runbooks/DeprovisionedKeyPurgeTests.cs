using System.Text.Json.Nodes;
using RunbookHost.Registry;
using RunbookHost.Tests.Support;

namespace RunbookHost.Tests.Runbooks;

/// <summary>
/// Deprovision archives the tenant's key (file and registry); after the retention, purge-archived-keys removes
/// the now useless secrets file first and then the key, so nothing of the tenant's keys remains and no
/// secrets file is ever left without a key.
/// </summary>
public sealed class DeprovisionedKeyPurgeTests(StorageEnvironment stores) : IClassFixture<StorageEnvironment>
{
    [Fact]
    public async Task AfterRetentionADeprovisionedTenantsSecretsAndKeyArePurgedAndTheRegistrySaysPurged()
    {
        using var host = stores.NewHost(allStores: false);
        var tenant = TestServers.NewTenantId();
        await StorageIsolationRunbookTests.Run(host, "provision", tenant.Value);
        await StorageIsolationRunbookTests.Run(host, "deprovision", tenant.Value);
        var ring = new RunbookHost.Keys.KeyRing.TenantKeyRing(host.SecretsDir);
        var registry = new TenantRegistry(TestServers.PostgresAdmin, stores.RegistryDatabase);
        Assert.Equal(KeyStatus.Archived, Assert.Single(await registry.GetKeyHistoryAsync(tenant)).Status);

        var early = await host.Run("run", "purge-archived-keys", "--tenant", tenant.Value, "--json");
        Assert.True(early.ExitCode == 0, early.StandardError);
        Assert.True(ring.HasSecrets(tenant));
        Assert.Single(ring.ArchivedKeys(tenant));

        // Age the archive past the 90-day retention, as if 200 days had passed since deprovision.
        var archived = Assert.Single(ring.ArchivedKeys(tenant));
        var old = ring.Files(tenant).ArchivedKey(DateOnly.FromDateTime(DateTime.UtcNow.AddDays(-200)), 1);
        File.Move(archived.Path, old);

        var purge = await host.Run("run", "purge-archived-keys", "--tenant", tenant.Value, "--json");

        Assert.True(purge.ExitCode == 0, purge.StandardOutput + purge.StandardError);
        Assert.False(ring.HasSecrets(tenant));
        Assert.Empty(ring.ArchivedKeys(tenant));
        Assert.Equal(KeyStatus.Purged, Assert.Single(await registry.GetKeyHistoryAsync(tenant)).Status);
        var evidence = JsonNode.Parse(purge.StandardOutput)!["evidence"]!.GetValue<string>();
        Assert.Contains(StorageEnvironment.Checks(evidence), c => c.Test.StartsWith("archived_key_purged", StringComparison.Ordinal) && c.Pass);
    }
}
