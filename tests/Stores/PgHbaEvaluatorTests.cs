using System.Net;
using RunbookHost.Stores.Postgres;

namespace RunbookHost.Tests.Stores;

/// <summary>The pg_hba.conf model against hand-written files: first match decides, over every address.</summary>
public class PgHbaEvaluatorTests
{
    private const string Role = "tenant_acme_user";
    private const string Db = "tenant_acme";
    private static readonly AddressRanges Net = AddressRanges.Of(IPNetwork.Parse("10.7.0.0/16"));
    private static readonly AddressRanges Outside = AddressRanges.All.Except(AddressRanges.Loopback).Except(Net);
    private static readonly HashSet<string> Self = [Role];

    private const string Stock = """
        local all postgres peer
        local all all peer
        host all all 127.0.0.1/32 255.255.255.255 scram-sha-256
        host all all ::1 ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff scram-sha-256
        host replication all 127.0.0.1/32 255.255.255.255 scram-sha-256
        """;
    private const string TenantLine = "host tenant_acme tenant_acme_user 10.7.0.0 255.255.0.0 scram-sha-256";

    /// <summary>Lines as pg_hba_file_rules shows them: type, databases, users, address, netmask, method (commas join lists).</summary>
    private static List<PgHbaFile.HbaRule> Rules(params string[] lines) =>
        lines.SelectMany(l => l.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            .Select((line, i) =>
            {
                var f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                return f[0] == "local"
                    ? new PgHbaFile.HbaRule(i + 1, f[0], f[1].Split(','), f[2].Split(','), null, null, f[3], null)
                    : f.Length == 5
                        ? new PgHbaFile.HbaRule(i + 1, f[0], f[1].Split(','), f[2].Split(','), f[3], null, f[4], null)
                        : new PgHbaFile.HbaRule(i + 1, f[0], f[1].Split(','), f[2].Split(','), f[3].Split('/')[0], f[4], f[5], null);
            }).ToList();

    private static string? Ask(List<PgHbaFile.HbaRule> rules, string db, AddressRanges from, bool admitted, IReadOnlySet<string>? memberOf = null) =>
        PgHbaEvaluator.Answer(rules, Role, memberOf ?? Self, new HbaQuestion("t", db, from, admitted, "q")).Problem;

    [Fact]
    public void TheTenantLineOnAStockFileAnswersEveryQuestionAsExpected()
    {
        var rules = Rules(TenantLine, Stock);
        Assert.Null(Ask(rules, Db, Net, admitted: true));
        Assert.Null(Ask(rules, Db, Outside, admitted: false));
        Assert.Null(Ask(rules, "postgres", AddressRanges.All.Except(AddressRanges.Loopback), admitted: false));
    }

    [Theory]
    [InlineData("host all all 0.0.0.0/0 0.0.0.0 scram-sha-256", "admits")]
    [InlineData("host all all ::/0 :: md5", "admits")]
    [InlineData("hostssl all all 0.0.0.0/0 0.0.0.0 scram-sha-256", "(ssl)")]
    [InlineData("hostnossl tenant_acme all 192.168.0.0/16 255.255.0.0 scram-sha-256", "from 192.168.0.0")]
    [InlineData("host all +staff 0.0.0.0/0 0.0.0.0 scram-sha-256", "admits")]
    [InlineData("host sameuser,tenant_acme all 10.0.0.0/8 255.0.0.0 scram-sha-256", "from 10.0.0.0")]
    [InlineData("host all all samenet scram-sha-256", "cannot be evaluated")]
    public void ACatchAllAfterTheTenantLineThatAdmitsTheRoleFromElsewhereFails(string catchAll, string expected)
    {
        var problem = Ask(Rules(TenantLine, Stock, catchAll), Db, Outside, admitted: false, memberOf: new HashSet<string> { Role, "staff" });
        Assert.NotNull(problem);
        Assert.Contains(expected, problem);
    }

    [Fact]
    public void ACatchAllThatRejectsOrNamesOtherRolesPasses()
    {
        Assert.Null(Ask(Rules(TenantLine, Stock, "host all all 0.0.0.0/0 0.0.0.0 reject", "host all all ::/0 :: reject", "host all all 0.0.0.0/0 0.0.0.0 trust"), Db, Outside, admitted: false));
        Assert.Null(Ask(Rules(TenantLine, "host all +staff 0.0.0.0/0 0.0.0.0 scram-sha-256"), Db, Outside, admitted: false));
        Assert.Null(Ask(Rules(TenantLine, "host replication all 0.0.0.0/0 0.0.0.0 scram-sha-256"), "postgres", Outside, admitted: false));
    }

    [Fact]
    public void ARejectAboveTheTenantLineOrAGapInItsNetworkFailsTheOwnNetworkQuestion()
    {
        Assert.Contains("rejects", Ask(Rules("host all all 10.7.3.0/24 255.255.255.0 reject", TenantLine), Db, Net, admitted: true));
        Assert.Contains("no line admits", Ask(Rules("host tenant_acme tenant_acme_user 10.7.0.0/17 255.255.128.0 scram-sha-256"), Db, Net, admitted: true));
        Assert.Contains("with trust", Ask(Rules("host tenant_acme tenant_acme_user 10.7.0.0/16 255.255.0.0 trust"), Db, Net, admitted: true));
        Assert.Contains("(ssl)", Ask(Rules("hostnossl tenant_acme tenant_acme_user 10.7.0.0/16 255.255.0.0 scram-sha-256"), Db, Net, admitted: true));
    }

    [Fact]
    public void SameroleAndGroupMembershipFollowTheRolesMemberships()
    {
        var other = new HashSet<string> { Role, "tenant_globex" };
        Assert.True(PgHbaEvaluator.DatabaseMatches(["samerole"], "tenant_globex", Role, other));
        Assert.False(PgHbaEvaluator.DatabaseMatches(["samerole"], "tenant_globex", Role, Self));
        Assert.True(PgHbaEvaluator.DatabaseMatches(["sameuser"], Role, Role, Self));
        Assert.False(PgHbaEvaluator.DatabaseMatches(["replication"], "replication", Role, Self));
        Assert.True(PgHbaEvaluator.UserMatches(["+tenant_globex"], Role, other));
        Assert.False(PgHbaEvaluator.UserMatches(["+tenant_globex"], Role, Self));
    }

    [Fact]
    public void AddressSetsSubtractAndKeepFamiliesApart()
    {
        var v4 = AddressRanges.OfRule("10.7.0.0", "255.255.0.0")!;
        Assert.True(v4.Except(Net).IsEmpty);
        Assert.Equal(IPAddress.Parse("10.8.0.0"), AddressRanges.OfRule("10.0.0.0", "255.0.0.0")!.Except(AddressRanges.Of(IPNetwork.Parse("10.0.0.0/13"))).Example());
        Assert.True(AddressRanges.OfRule("::", "::")!.Intersect(v4).IsEmpty);
        Assert.Null(AddressRanges.OfRule("10.0.0.0", "255.0.255.0"));
        Assert.Equal(IPAddress.Parse("::"), AddressRanges.All.Except(AddressRanges.OfRule("0.0.0.0", "0.0.0.0")!).Example());
    }
}
