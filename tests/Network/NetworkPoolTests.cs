using System.Net;
using RunbookHost.Network;

namespace RunbookHost.Tests.Network;

public sealed class NetworkPoolTests
{
    [Fact]
    public void TheDefaultIsTheSpecsOctetSchemeWith254NetworksOfSlash16()
    {
        var pool = NetworkPool.Default;
        Assert.True(pool.IsOctetPool);
        Assert.Equal(254, pool.Capacity);
        Assert.Equal(IPNetwork.Parse("10.1.0.0/16"), pool.NetworkFor(1));
        Assert.Equal(IPNetwork.Parse("10.254.0.0/16"), pool.NetworkFor(254));
        Assert.Throws<ArgumentOutOfRangeException>(() => pool.NetworkFor(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => pool.NetworkFor(255));
    }

    [Fact]
    public void ACustomPrefixWithTwoPlaceholdersGives65536NetworksOfSlash24()
    {
        var pool = NetworkPool.Create("10.{a}.{b}.0/24");
        Assert.False(pool.IsOctetPool);
        Assert.Equal(65_536, pool.Capacity);
        Assert.Equal(IPNetwork.Parse("10.0.0.0/24"), pool.NetworkFor(0));
        Assert.Equal(IPNetwork.Parse("10.1.2.0/24"), pool.NetworkFor(258));
        Assert.Equal(IPNetwork.Parse("10.255.255.0/24"), pool.NetworkFor(65_535));
        Assert.Equal(258, pool.SlotOf(IPNetwork.Parse("10.1.2.0/24")));
        Assert.Null(pool.SlotOf(IPNetwork.Parse("10.1.2.0/25")));
    }

    [Fact]
    public void TheOctetMayStandInAnyPosition()
    {
        var pool = NetworkPool.Create("172.20.{octet}.0/24");
        Assert.Equal(IPNetwork.Parse("172.20.7.0/24"), pool.NetworkFor(7));
    }

    [Theory]
    [InlineData("10.0.0.0/16", "either")]                  // no placeholder: every tenant the same network
    [InlineData("10.{octet}.{octet}.0/24", "either")]      // two octets
    [InlineData("10.{b}.{a}.0/24", "either")]              // a after b
    [InlineData("10.{octet}.0.0/8", "host bits")]          // 10.7.0.0/8 is not a network address
    [InlineData("8.{octet}.0.0/16", "private ranges")]     // public addresses
    [InlineData("172.{octet}.0.0/16", "private ranges")]   // 172.1.0.0/16 is public
    [InlineData("10.{octet}.0.0/16; rm -rf /", "CIDR template")]
    [InlineData("fd00:{octet}::/64", "CIDR template")]
    public void AnInvalidPoolIsRefusedWithTheReason(string template, string reason)
    {
        var error = Assert.Throws<ArgumentException>(() => NetworkPool.Create(template));
        Assert.Contains(reason, error.Message);
    }

    [Fact]
    public void SettingsNameTheSettingThatIsWrong()
    {
        var error = Assert.Throws<ArgumentException>(() => new NetworkSettings { Pool = "10.{octet}.0.0/8" }.Validate());
        Assert.StartsWith("Network__Pool:", error.Message);
        Assert.Throws<ArgumentException>(() => new NetworkSettings { Provider = "aws" }.Validate());
        Assert.Throws<ArgumentException>(() => new NetworkSettings { Docker = { Image = "local/x:1 --privileged" } }.Validate());
    }
}
