using RunbookHost.Tenants;

namespace RunbookHost.Tests.Tenants;

public class TenantIdTests
{
    [Theory]
    [InlineData("acme")]
    [InlineData("abc")]
    [InlineData("a1b2c3")]
    [InlineData("abcdefghijklmnopqrstuvwxyz012345")]
    public void AcceptsLowercaseLettersAndDigitsStartingWithALetter(string id) =>
        Assert.Equal(id, TenantId.Parse(id).Value);

    [Theory]
    [InlineData("")]
    [InlineData("ab")]
    [InlineData("1abc")]
    [InlineData("Acme")]
    [InlineData("acme-corp")]
    [InlineData("abcdefghijklmnopqrstuvwxyz0123456")]
    public void RejectsIdsOutsideTheRule(string id) =>
        Assert.Throws<InvalidTenantIdException>(() => TenantId.Parse(id));

    [Fact]
    public void TheRejectionMessageNeverEchoesTheInput()
    {
        var hostile = "acme'; DROP DATABASE x; --";
        var error = Assert.Throws<InvalidTenantIdException>(() => TenantId.Parse(hostile));
        Assert.DoesNotContain("DROP", error.Message);
        Assert.DoesNotContain("\n", error.Message);
    }
}

public class HostileTenantIdTests
{
    [Fact]
    public void TheCorpusHoldsAtLeastTwoHundredDistinctHostileIds() =>
        Assert.True(HostileInputs.TenantIds().Distinct().Count() >= 200);

    [Theory]
    [MemberData(nameof(HostileInputs.TenantIdCases), MemberType = typeof(HostileInputs))]
    public void NoHostileIdIsAccepted(string hostile) =>
        Assert.False(TenantId.TryParse(hostile, out _, out _));
}
