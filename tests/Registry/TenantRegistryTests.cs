using Npgsql;
using RunbookHost.Registry;
using RunbookHost.Tests.Support;

namespace RunbookHost.Tests.Registry;

public sealed class TenantRegistryTests(RegistryDatabase db) : IClassFixture<RegistryDatabase>
{
    private TenantRegistry Registry => db.Registry;

    [Fact]
    public async Task ApplyingMigrationsAgainChangesNothing()
    {
        Assert.Empty(await Registry.EnsureSchemaAsync());
        Assert.Equal(RegistryMigrations.All.Select(m => m.Version), await Registry.GetAppliedMigrationsAsync());
    }

    [Fact]
    public async Task ConcurrentAppliersOnAFreshDatabaseApplyEachMigrationExactlyOnce()
    {
        var fresh = new TenantRegistry(TestServers.PostgresAdmin, TestServers.NewDatabaseName("rbh_registry_test"));
        try
        {
            var runs = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ =>
                new TenantRegistry(TestServers.PostgresAdmin, fresh.Database).EnsureSchemaAsync()));

            var applied = runs.SelectMany(r => r).OrderBy(v => v).ToList();
            Assert.Equal(RegistryMigrations.All.Select(m => m.Version), applied);
            Assert.Equal(RegistryMigrations.All.Select(m => m.Version), await fresh.GetAppliedMigrationsAsync());
        }
        finally
        {
            await RegistryDatabase.Drop(fresh);
        }
    }

    [Fact]
    public async Task TheRegistryDatabaseGrantsNothingToPublic()
    {
        await using var admin = new NpgsqlConnection(TestServers.PostgresAdmin);
        await admin.OpenAsync();
        await using var cmd = new NpgsqlCommand(
            "SELECT count(*) FROM pg_database d, aclexplode(d.datacl) a WHERE d.datname = $1 AND a.grantee = 0", admin);
        cmd.Parameters.AddWithValue(Registry.Database);
        Assert.Equal(0L, await cmd.ExecuteScalarAsync());
    }

    [Fact]
    public async Task RegisteringIsIdempotentAndConcurrentRegistrationsGetDistinctOctets()
    {
        var ids = Enumerable.Range(0, 8).Select(_ => TestServers.NewTenantId()).ToList();
        var records = await Task.WhenAll(ids.Select(id => Registry.RegisterAsync(id)));
        Assert.Equal(8, records.Select(r => r.TenantOctet).Distinct().Count());
        Assert.All(records, r => Assert.InRange(r.TenantOctet!.Value, 1, 254));
        Assert.All(records, r => Assert.Equal(TenantStatus.Provisioning, r.Status));

        var again = await Registry.RegisterAsync(ids[0], TenantStatus.Active);
        Assert.Equal(records[0].TenantOctet, again.TenantOctet);
        Assert.Equal(TenantStatus.Active, again.Status);
        Assert.Equal(TenantStatus.Active, (await Registry.GetAsync(ids[0]))!.Status);
        var listed = await Registry.ListAsync();
        Assert.All(ids, id => Assert.Contains(listed, r => r.TenantId == id));
        Assert.Contains(await Registry.ListAsync(TenantStatus.Active), r => r.TenantId == ids[0]);
        Assert.DoesNotContain(await Registry.ListAsync(TenantStatus.Active), r => r.TenantId == ids[1]);
    }

    [Fact]
    public async Task DeprovisioningStampsTheTimeAndReleasesTheOctet()
    {
        var id = TestServers.NewTenantId();
        await Registry.RegisterAsync(id, TenantStatus.Active);
        await Registry.SetStatusAsync(id, TenantStatus.Deprovisioned);

        var record = (await Registry.GetAsync(id))!;
        Assert.Equal(TenantStatus.Deprovisioned, record.Status);
        Assert.Null(record.TenantOctet);
        Assert.NotNull(record.DeprovisionedAt);

        var back = await Registry.RegisterAsync(id);
        Assert.NotNull(back.TenantOctet);
        Assert.Null(back.DeprovisionedAt);
        await Assert.ThrowsAsync<KeyNotFoundException>(() => Registry.SetStatusAsync(TestServers.NewTenantId(), TenantStatus.Active));
    }

    [Fact]
    public async Task RotatingAKeyArchivesThePreviousOneAndRecordsEverythingTogether()
    {
        var id = TestServers.NewTenantId();
        await Registry.RegisterAsync(id, TenantStatus.Active);
        var t0 = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

        var first = await Registry.RecordKeyRotationAsync(id, "age1first", "provisioning", t0, t0.AddDays(90));
        var second = await Registry.RecordKeyRotationAsync(id, "age1second", "scheduled", t0.AddDays(90), t0.AddDays(180));
        var repeat = await Registry.RecordKeyRotationAsync(id, "age1second", "scheduled", t0.AddDays(90), t0.AddDays(180));

        Assert.Equal(new KeyRotationResult(1, null, TenantRegistry.PublicKeyHash("age1first")), first);
        Assert.Equal(2, second.KeyVersion);
        Assert.Equal(1, second.ArchivedVersion);
        Assert.Equal(2, repeat.KeyVersion);
        Assert.Null(repeat.ArchivedVersion);

        var tenant = (await Registry.GetAsync(id))!;
        Assert.Equal("age1second", tenant.AgePublicKey);
        Assert.Equal(2, tenant.KeyVersion);
        Assert.Equal(t0.AddDays(90), tenant.KeyRotatedAt);
        Assert.Equal(t0.AddDays(180), tenant.KeyRotationDueAt);

        var history = await Registry.GetKeyHistoryAsync(id);
        Assert.Equal([2, 1], history.Select(h => h.KeyVersion));
        Assert.Equal([KeyStatus.Active, KeyStatus.Archived], history.Select(h => h.Status));
        Assert.Equal(t0.AddDays(90), history[1].ArchivedAt);
        Assert.StartsWith("sha256:", history[0].PublicKeyHash);

        var audit = await Registry.ListAuditAsync(id);
        Assert.Equal(["KEY_ROTATED", "KEY_CREATED"], audit.Select(a => a.EventType));
        Assert.Contains("\"archived_version\": 1", audit[0].Details);
    }

    [Fact]
    public async Task OnlyArchivedKeysCanBePurgedAndPurgingTwiceIsHarmless()
    {
        var id = TestServers.NewTenantId();
        await Registry.RegisterAsync(id, TenantStatus.Active);
        var t0 = DateTimeOffset.UtcNow.AddDays(-200);
        await Registry.RecordKeyRotationAsync(id, "age1one", "provisioning", t0, t0.AddDays(90));
        await Registry.RecordKeyRotationAsync(id, "age1two", "scheduled", t0.AddDays(90), t0.AddDays(180));

        Assert.Contains(await Registry.ListArchivedKeysDueForPurgeAsync(DateTimeOffset.UtcNow), k => k.TenantId == id && k.KeyVersion == 1);
        await Assert.ThrowsAsync<InvalidOperationException>(() => Registry.MarkKeyPurgedAsync(id, 2, DateTimeOffset.UtcNow));
        Assert.True(await Registry.MarkKeyPurgedAsync(id, 1, DateTimeOffset.UtcNow));
        Assert.False(await Registry.MarkKeyPurgedAsync(id, 1, DateTimeOffset.UtcNow));
        await Assert.ThrowsAsync<KeyNotFoundException>(() => Registry.MarkKeyPurgedAsync(id, 9, DateTimeOffset.UtcNow));
        Assert.Equal([KeyStatus.Active, KeyStatus.Purged], (await Registry.GetKeyHistoryAsync(id)).Select(h => h.Status));
    }

    [Fact]
    public async Task OnlyActiveTenantsPastTheirDueDateAreListedForRotation()
    {
        var (due, notDue, inactive) = (TestServers.NewTenantId(), TestServers.NewTenantId(), TestServers.NewTenantId());
        var now = DateTimeOffset.UtcNow;
        foreach (var id in new[] { due, notDue, inactive })
            await Registry.RegisterAsync(id, TenantStatus.Active);
        await Registry.RecordKeyRotationAsync(due, "age1due", "provisioning", now.AddDays(-91), now.AddDays(-1));
        await Registry.RecordKeyRotationAsync(notDue, "age1notdue", "provisioning", now, now.AddDays(90));
        await Registry.RecordKeyRotationAsync(inactive, "age1inactive", "provisioning", now.AddDays(-91), now.AddDays(-1));
        await Registry.SetStatusAsync(inactive, TenantStatus.Deprovisioned);

        var listed = (await Registry.ListDueForRotationAsync(now)).Select(r => r.TenantId).ToList();
        Assert.Contains(due, listed);
        Assert.DoesNotContain(notDue, listed);
        Assert.DoesNotContain(inactive, listed);
    }

    [Fact]
    public async Task RunsAndAuditEventsAreRecorded()
    {
        var id = TestServers.NewTenantId();
        var started = DateTimeOffset.UtcNow;
        var run = await Registry.RecordRunStartedAsync(new RunStart("provision-tenant", "1.2.0", new string('a', 64), id, DryRun: true, started));
        await Registry.RecordRunFinishedAsync(run, new RunFinish(RunStatus.Succeeded, started.AddSeconds(3), "x/y.json", new string('b', 64)));
        await Assert.ThrowsAsync<ArgumentException>(() => Registry.RecordRunFinishedAsync(run, new RunFinish("running", started, null, null)));

        await using (var conn = new NpgsqlConnection(Registry.ConnectionString))
        {
            await conn.OpenAsync();
            await using var cmd = new NpgsqlCommand("SELECT status, dry_run, evidence_file, tenant_id FROM runbook_runs WHERE id = $1", conn);
            cmd.Parameters.AddWithValue(run);
            await using var r = await cmd.ExecuteReaderAsync();
            Assert.True(await r.ReadAsync());
            Assert.Equal(("succeeded", true, "x/y.json", id.Value), (r.GetString(0), r.GetBoolean(1), r.GetString(2), r.GetString(3)));
        }
        var row = Assert.Single(await Registry.ListRunsAsync("tenant", id));
        Assert.Equal((run, RunStatus.Succeeded, "x/y.json", new string('b', 64), (string?)null), (row.Id, row.Status, row.EvidenceFile, row.EvidenceSha256, row.PreviousSha256));

        var eventId = await Registry.RecordAuditAsync("TENANT_VERIFIED", id, new { overall_pass = true, checks = 4 });
        var audit = Assert.Single(await Registry.ListAuditAsync(id));
        Assert.Equal(eventId, audit.Id);
        Assert.Contains("\"overall_pass\": true", audit.Details);
    }

    [Fact]
    public void AnInvalidRegistryDatabaseNameIsRejectedBeforeAnySqlIsBuilt() =>
        Assert.Throws<ArgumentException>(() => new TenantRegistry(TestServers.PostgresAdmin, "bad\"; DROP"));
}
