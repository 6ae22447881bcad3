using RunbookHost.Registry;
using RunbookHost.Tenants;
using RunbookHost.Tests.Support;

namespace RunbookHost.Tests.Registry;

public sealed class TenantLockTests(RegistryDatabase db) : IClassFixture<RegistryDatabase>
{
    private TenantRegistry Registry => db.Registry;

    [Fact]
    public async Task ASecondHolderWaitsUntilTheFirstReleasesAndIsToldWhoHoldsTheTenant()
    {
        var tenant = TestServers.NewTenantId();
        var first = await Registry.AcquireTenantLockAsync(tenant, TimeSpan.FromSeconds(5));
        Assert.True(await first.IsHeldAsync());

        Assert.Null(await Registry.TryAcquireTenantLockAsync(tenant, TimeSpan.Zero));
        Assert.Null(await Registry.TryAcquireTenantLockAsync(tenant, TimeSpan.FromMilliseconds(300)));
        var error = await Assert.ThrowsAsync<TenantLockUnavailableException>(() => Registry.AcquireTenantLockAsync(tenant, TimeSpan.FromMilliseconds(200)));
        Assert.StartsWith($"another run holds tenant {tenant.Value}", error.Message);
        Assert.Equal(tenant, error.Tenant);

        var waiting = Registry.AcquireTenantLockAsync(tenant, TimeSpan.FromSeconds(20));
        await Task.Delay(300);
        Assert.False(waiting.IsCompleted);
        await first.DisposeAsync();
        Assert.False(await first.IsHeldAsync());
        await using var second = await waiting;
        Assert.True(await second.IsHeldAsync());
    }

    [Fact]
    public async Task ALockSessionPerTenantLeavesNoDataSourceBehindOnceReleased()
    {
        var tenants = Enumerable.Range(0, 3).Select(_ => TestServers.NewTenantId()).ToList();
        foreach (var tenant in tenants)
        {
            await using var held = await Registry.AcquireTenantLockAsync(tenant, TimeSpan.FromSeconds(5));
            Assert.True(await held.IsHeldAsync());
        }
        // Each lock session is named after its tenant; kept data sources would grow with the fleet in a scheduler.
        var retained = NpgsqlPoolTable.ConnectionStrings();
        Assert.DoesNotContain(retained, cs => tenants.Any(t => cs.Contains("lock " + t.Value, StringComparison.Ordinal)));
    }

    [Fact]
    public async Task ConcurrentRunsOnOneTenantNeverOverlapWhileOtherTenantsProceed()
    {
        var tenant = TestServers.NewTenantId();
        var inside = 0;
        var maxInside = 0;
        async Task Run()
        {
            await using var held = await Registry.AcquireTenantLockAsync(tenant, TimeSpan.FromSeconds(30));
            var now = Interlocked.Increment(ref inside);
            InterlockedMax(ref maxInside, now);
            await Task.Delay(100);
            Interlocked.Decrement(ref inside);
        }
        await Task.WhenAll(Enumerable.Range(0, 5).Select(_ => Task.Run(Run)));
        Assert.Equal(1, maxInside);

        await using var a = await Registry.AcquireTenantLockAsync(TestServers.NewTenantId(), TimeSpan.Zero);
        await using var b = await Registry.AcquireTenantLockAsync(TestServers.NewTenantId(), TimeSpan.Zero);
        Assert.True(await a.IsHeldAsync() && await b.IsHeldAsync());
    }

    [Fact]
    public void TheLockKeyIsAStableHashOfTheTenantId()
    {
        var acme = TenantId.Parse("acme");
        Assert.Equal(TenantLock.KeyFor(acme), TenantLock.KeyFor(TenantId.Parse("acme")));
        Assert.NotEqual(TenantLock.KeyFor(acme), TenantLock.KeyFor(TenantId.Parse("acmf")));
        Assert.Equal(AdvisoryLockKey.For("runbook-host:tenant:acme"), TenantLock.KeyFor(acme));
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int current;
        while ((current = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, current) != current)
        {
        }
    }
}
