using RunbookHost.Keys.KeyRing;
using RunbookHost.Registry;
using RunbookHost.Tests.Registry;
using RunbookHost.Tests.Support;
using static RunbookHost.Tests.Keys.KeyRing.KeyRingTestEnvironment;

namespace RunbookHost.Tests.Keys.KeyRing;

/// <summary>The registry side of the key lifecycle (§8.3 ACTIVE → ARCHIVED → PURGED) against a throwaway registry database.</summary>
public sealed class KeyRegistryTests(RegistryDatabase db) : IClassFixture<RegistryDatabase>, IDisposable
{
    private readonly KeyRingTestEnvironment env = new();

    public void Dispose() => env.Dispose();

    [Fact]
    public async Task ARotationRecordsTheNewKeyVersionAndAPurgeMarksTheArchivedVersionPurged()
    {
        var tenant = TestServers.NewTenantId();
        await db.Registry.RegisterAsync(tenant);
        await env.ProvisionAsync(tenant);
        await db.Registry.RecordKeyRotationAsync(tenant, env.Ring.PublicKey(tenant), "provisioned", Start, Start.AddDays(90));
        var oldKey = env.Ring.PublicKey(tenant);

        var rotation = env.Ring.Rotation(tenant, KeyRotation.Scheduled);
        foreach (var (_, make) in Steps.SkipLast(1))
            await Apply(make(rotation));
        await Apply(rotation.RecordInRegistry(db.Registry, 90));
        await Apply(rotation.RecordInRegistry(db.Registry, 90)); // a resumed run repeats it: no new version
        await Apply(rotation.Complete());

        var record = (await db.Registry.GetAsync(tenant))!;
        Assert.Equal(2, record.KeyVersion);
        Assert.Equal(env.Ring.PublicKey(tenant), record.AgePublicKey);
        var history = await db.Registry.GetKeyHistoryAsync(tenant);
        Assert.Equal([KeyStatus.Active, KeyStatus.Archived], history.Select(h => h.Status));
        Assert.Equal(TenantRegistry.PublicKeyHash(oldKey), history[1].PublicKeyHash);
        Assert.Equal(KeyRotation.Scheduled, history[0].RotationReason);

        var archived = Assert.Single(env.Ring.ArchivedKeys(tenant));
        await Apply(env.Ring.PurgeArchivedKey(tenant, archived));
        await Apply(KeyRegistryOperations.MarkPurged(db.Registry, tenant, archived, Start.AddDays(91)));
        await Apply(KeyRegistryOperations.MarkPurged(db.Registry, tenant, archived, Start.AddDays(92))); // idempotent

        history = await db.Registry.GetKeyHistoryAsync(tenant);
        Assert.Equal([KeyStatus.Active, KeyStatus.Purged], history.Select(h => h.Status));
        Assert.Contains(await db.Registry.ListAuditAsync(tenant), e => e.EventType == "KEY_PURGED");
        Assert.Contains(await db.Registry.ListAuditAsync(tenant), e => e.EventType == "KEY_ROTATED");
    }
}
