using Npgsql;
using RunbookHost.Network;
using RunbookHost.Registry;
using RunbookHost.Tests.Registry;
using RunbookHost.Tests.Support;

namespace RunbookHost.Tests.Network;

/// <summary>The allocator in the registry (migration 7): one range per tenant, from the configured pool, never overlapping.</summary>
public sealed class NetworkAllocatorTests : IAsyncLifetime
{
    private readonly RegistryDatabase db = new();
    private TenantRegistry Registry => db.Registry;

    public Task InitializeAsync() => db.InitializeAsync();

    public Task DisposeAsync() => db.DisposeAsync();

    [Fact]
    public async Task ATenantRegisteredBeforeNetworksExistedKeepsItsOctetAsItsRange()
    {
        var first = TestServers.NewTenantId();
        var second = TestServers.NewTenantId();
        await Registry.RegisterAsync(first);
        var octet = (await Registry.RegisterAsync(second)).TenantOctet!.Value;

        var (network, allocated) = await Registry.AllocateNetworkAsync(second, NetworkPool.Default);

        Assert.True(allocated);
        Assert.Equal(octet, network.Slot);
        Assert.Equal($"10.{octet}.0.0/16", network.Cidr);
        var (again, allocatedAgain) = await Registry.AllocateNetworkAsync(second, NetworkPool.Default);
        Assert.False(allocatedAgain);
        Assert.Equal(network, again);
    }

    [Fact]
    public async Task ANetworkReservedBeforeRegistrationBecomesTheTenantsOctetAndNobodyElseTakesIt()
    {
        var early = TestServers.NewTenantId();
        var other = TestServers.NewTenantId();
        var (network, _) = await Registry.AllocateNetworkAsync(early, NetworkPool.Default);

        var otherRecord = await Registry.RegisterAsync(other);
        var earlyRecord = await Registry.RegisterAsync(early);

        Assert.Equal(network.Slot, earlyRecord.TenantOctet);
        Assert.NotEqual(network.Slot, otherRecord.TenantOctet);
    }

    [Fact]
    public async Task ACustomPrefixAllocatesSlash24sAndATenantKeepsItsRangeWhenThePoolChanges()
    {
        var pool = NetworkPool.Create("10.{a}.{b}.0/24");
        var a = TestServers.NewTenantId();
        var b = TestServers.NewTenantId();
        var (na, _) = await Registry.AllocateNetworkAsync(a, NetworkPool.Default);   // 10.1.0.0/16 (first octet)
        var (nb, _) = await Registry.AllocateNetworkAsync(b, pool);

        Assert.Equal(24, nb.Range.PrefixLength);
        Assert.False(na.Overlaps(nb.Range)); // the /24 is found outside the /16 another pool gave
        Assert.Equal(na, (await Registry.AllocateNetworkAsync(a, pool)).Network);
        Assert.Equal(2, (await Registry.ListNetworksAsync()).Count);
    }

    [Fact]
    public async Task APoolWithNoRangeLeftRefusesTheNextTenantAndAReleasedRangeIsReused()
    {
        var pool = NetworkPool.Create("10.77.{octet}.0/24");
        var tenants = Enumerable.Range(0, 254).Select(_ => TestServers.NewTenantId()).ToList();
        foreach (var tenant in tenants)
            await Registry.AllocateNetworkAsync(tenant, pool);
        var late = TestServers.NewTenantId();

        var refusal = await Assert.ThrowsAsync<NetworkPoolExhaustedException>(() => Registry.AllocateNetworkAsync(late, pool));

        Assert.Equal(late, refusal.Tenant);
        Assert.Contains("every network of the pool 10.77.{octet}.0/24 (254 networks of /24) is allocated", refusal.Message);
        Assert.Null(await Registry.GetNetworkAsync(late));
        await Registry.ReleaseNetworkAsync(tenants[41]);
        Assert.Equal("10.77.42.0/24", (await Registry.AllocateNetworkAsync(late, pool)).Network.Cidr);
    }

    [Fact]
    public async Task TheRegistryItselfRefusesOverlappingRanges()
    {
        await Registry.AllocateNetworkAsync(TestServers.NewTenantId(), NetworkPool.Default);
        await using var conn = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(TestServers.PostgresAdmin) { Database = Registry.Database }.ConnectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand("INSERT INTO tenant_networks (tenant_id, pool, slot, network, is_octet) VALUES ('intruder', 'x', 0, '10.0.0.0/8', false)", conn);
        var error = await Assert.ThrowsAsync<PostgresException>(() => cmd.ExecuteNonQueryAsync());
        Assert.Equal(PostgresErrorCodes.ExclusionViolation, error.SqlState);
    }
}
