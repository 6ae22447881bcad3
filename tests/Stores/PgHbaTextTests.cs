using RunbookHost.Configuration;
using RunbookHost.Runbooks;
using RunbookHost.Runbooks.Steps;
using RunbookHost.Stores.Postgres;
using RunbookHost.Tenants;
using RunbookHost.Tests.Support;

namespace RunbookHost.Tests.Stores;

/// <summary>pg_hba.conf editing on sample texts; no server, no file.</summary>
public class PgHbaTextTests
{
    private const string Debian = """
        # PostgreSQL Client Authentication Configuration File
        # ===================================================
        #
        # TYPE  DATABASE        USER            ADDRESS                 METHOD

        # Database administrative login by Unix domain socket
        local   all             postgres                                peer

        # "local" is for Unix domain socket connections only
        local   all             all                                     peer
        # IPv4 local connections:
        host    all             all             127.0.0.1/32            scram-sha-256
        host    replication     all             127.0.0.1/32            scram-sha-256

        """;

    private static readonly PgHbaPolicy Policy = PgHbaPolicy.Create(null, null);
    private static readonly TenantId Acme = TenantId.Parse("acme");
    private static readonly TenantId Beta = TenantId.Parse("beta");

    private static string[] Lines(string text) => text.Split('\n');

    [Fact]
    public void DefaultPolicyBuildsTheSpecLine()
    {
        Assert.Equal("host tenant_acme tenant_acme_user 10.7.0.0/16 scram-sha-256", Policy.LineFor(Acme, 7));
        Assert.Equal("10.254.0.0/16", Policy.CidrFor(254));
    }

    [Fact]
    public void BlockIsInsertedBeforeTheFirstAllRuleAndEverythingElseIsUntouched()
    {
        var edited = PgHbaText.SetTenant(Debian, Acme, Policy.LineFor(Acme, 7));

        var expected = Debian.Replace(
            "local   all             postgres",
            $"{PgHbaText.BeginMarker}\nhost tenant_acme tenant_acme_user 10.7.0.0/16 scram-sha-256\n{PgHbaText.EndMarker}\nlocal   all             postgres",
            StringComparison.Ordinal);
        Assert.Equal(expected, edited);
        // comments, blank lines and the trailing newline are kept
        Assert.EndsWith("127.0.0.1/32            scram-sha-256\n", edited, StringComparison.Ordinal);
        Assert.Contains("# Database administrative login by Unix domain socket", edited, StringComparison.Ordinal);
    }

    [Fact]
    public void CatchAllIsTheFirstRuleWithDatabaseAllNotAComment()
    {
        const string text = "# host all all 0.0.0.0/0 trust\nhost replication all 10.0.0.0/8 scram-sha-256\nhostssl sales,all bob 10.0.0.0/8 md5\nhost all all 0.0.0.0/0 reject\n";
        var edited = PgHbaText.SetTenant(text, Acme, Policy.LineFor(Acme, 3));
        var lines = Lines(edited);
        Assert.Equal(PgHbaText.BeginMarker, lines[2]);
        Assert.StartsWith("hostssl sales,all", lines[5], StringComparison.Ordinal);
    }

    [Fact]
    public void WithoutACatchAllTheBlockGoesAtTheEnd()
    {
        const string text = "# only comments\nhost sales bob 10.0.0.0/8 md5";
        var edited = PgHbaText.SetTenant(text, Acme, Policy.LineFor(Acme, 3));
        Assert.Equal($"# only comments\nhost sales bob 10.0.0.0/8 md5\n{PgHbaText.BeginMarker}\nhost tenant_acme tenant_acme_user 10.3.0.0/16 scram-sha-256\n{PgHbaText.EndMarker}", edited);
        Assert.Equal($"{PgHbaText.BeginMarker}\nhost tenant_acme tenant_acme_user 10.3.0.0/16 scram-sha-256\n{PgHbaText.EndMarker}\n",
            PgHbaText.SetTenant("", Acme, Policy.LineFor(Acme, 3)));
    }

    [Fact]
    public void AContinuationLineIsNotMistakenForARule()
    {
        const string text = "host sales \\\n all 10.0.0.0/8 md5\nhost all all 0.0.0.0/0 reject\n";
        var lines = Lines(PgHbaText.SetTenant(text, Acme, Policy.LineFor(Acme, 3)));
        Assert.Equal("host sales \\", lines[0]);
        Assert.Equal(" all 10.0.0.0/8 md5", lines[1]);
        Assert.Equal(PgHbaText.BeginMarker, lines[2]);
    }

    [Fact]
    public void AddingTwiceIsIdempotentAndLinesAreSortedByTenant()
    {
        var once = PgHbaText.SetTenant(Debian, Beta, Policy.LineFor(Beta, 9));
        once = PgHbaText.SetTenant(once, Acme, Policy.LineFor(Acme, 7));
        var twice = PgHbaText.SetTenant(once, Acme, Policy.LineFor(Acme, 7));
        Assert.Equal(once, twice);
        var lines = Lines(once);
        var begin = Array.IndexOf(lines, PgHbaText.BeginMarker);
        Assert.Equal("host tenant_acme tenant_acme_user 10.7.0.0/16 scram-sha-256", lines[begin + 1]);
        Assert.Equal("host tenant_beta tenant_beta_user 10.9.0.0/16 scram-sha-256", lines[begin + 2]);
        Assert.Equal(PgHbaText.EndMarker, lines[begin + 3]);
        Assert.Single(lines, l => l == PgHbaText.BeginMarker);
    }

    [Fact]
    public void AChangedOctetReplacesTheLine()
    {
        var text = PgHbaText.SetTenant(Debian, Acme, Policy.LineFor(Acme, 7));
        text = PgHbaText.SetTenant(text, Acme, Policy.LineFor(Acme, 8));
        Assert.DoesNotContain("10.7.0.0/16", text, StringComparison.Ordinal);
        Assert.Equal("host tenant_acme tenant_acme_user 10.8.0.0/16 scram-sha-256", Assert.Single(PgHbaText.ManagedLines(text)).Value);
    }

    [Fact]
    public void RemoveTakesOnlyThatTenantsLineAndIsIdempotent()
    {
        var text = PgHbaText.SetTenant(Debian, Acme, Policy.LineFor(Acme, 7));
        text = PgHbaText.SetTenant(text, Beta, Policy.LineFor(Beta, 9));
        var removed = PgHbaText.RemoveTenant(text, Acme);
        Assert.Equal(["beta"], PgHbaText.ManagedLines(removed).Keys);
        Assert.Equal(removed, PgHbaText.RemoveTenant(removed, Acme));
        var empty = PgHbaText.RemoveTenant(removed, Beta);
        Assert.Empty(PgHbaText.ManagedLines(empty));
        // the empty block stays where it was; the rest is the original file
        Assert.Equal(Debian, empty.Replace($"{PgHbaText.BeginMarker}\n{PgHbaText.EndMarker}\n", "", StringComparison.Ordinal));
        // nothing to remove and no block: the file is not touched at all
        Assert.Same(Debian, PgHbaText.RemoveTenant(Debian, Acme));
    }

    [Fact]
    public void CrLfFilesKeepTheirLineEndings()
    {
        var crlf = Debian.Replace("\n", "\r\n", StringComparison.Ordinal);
        var edited = PgHbaText.SetTenant(crlf, Acme, Policy.LineFor(Acme, 7));
        Assert.DoesNotContain("\n", edited.Replace("\r\n", "", StringComparison.Ordinal), StringComparison.Ordinal);
        Assert.Equal(Debian, PgHbaText.RemoveTenant(edited, Acme).Replace("\r\n", "\n", StringComparison.Ordinal)
            .Replace($"{PgHbaText.BeginMarker}\n{PgHbaText.EndMarker}\n", "", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("host tenant_acme tenant_acme_user 10.7.0.0/16 trust")]
    [InlineData("host tenant_acme tenant_acme_user 10.7.0.0/16 password")]
    [InlineData("host tenant_acme tenant_acme_user 0.0.0.0/0 scram-sha-256 ")]
    [InlineData("host tenant_acme tenant_acme_user 10.7.0.1/16 scram-sha-256")]
    [InlineData("host tenant_acme tenant_beta_user 10.7.0.0/16 scram-sha-256")]
    [InlineData("host all tenant_acme_user 10.7.0.0/16 scram-sha-256")]
    [InlineData("host tenant_acme tenant_acme_user 10.7.0.0/16 scram-sha-256\nhost all all 0.0.0.0/0 trust")]
    [InlineData("hostssl tenant_acme tenant_acme_user 10.7.0.0/16 scram-sha-256")]
    public void ALineNotOfTheManagedShapeIsNeverWritten(string line)
    {
        var error = Assert.Throws<ArgumentException>(() => PgHbaText.SetTenant(Debian, Acme, line));
        Assert.Contains("refusing to write", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("trust")]
    [InlineData("password")]
    [InlineData("ident")]
    [InlineData("reject")]
    [InlineData("scram-sha-256 clientcert=verify-full")]
    [InlineData("scram-sha-256\nhost all all 0.0.0.0/0 trust")]
    public void UnsafeMethodsAreRefused(string method) =>
        Assert.Throws<ArgumentException>(() => PgHbaPolicy.Create(null, method));

    [Theory]
    [InlineData("10.0.0.0/8")] // no {octet}: every tenant would share one network
    [InlineData("10.{octet}.{octet}.0/24")]
    [InlineData("10.{octet}.0.1/16")] // host bits set
    [InlineData("10.{octet}.0.0/33")]
    [InlineData("10.{octet}.0.0 /16")]
    [InlineData("10.{octet}.0.0/16 trust")]
    [InlineData("1{octet}.0.0.0/8")] // 1254 for octet 254
    [InlineData("10.{octet}.0.0/8")] // host bits for octet >= 1
    [InlineData("samehost")]
    public void InvalidTemplatesAreRefused(string template) =>
        Assert.Throws<ArgumentException>(() => PgHbaPolicy.Create(template, null));

    [Theory]
    [InlineData("172.{octet}.0.0/16", 5, "172.5.0.0/16")]
    [InlineData("10.20.{octet}.0/24", 254, "10.20.254.0/24")]
    [InlineData("md5", 1, null)]
    public void OtherTemplatesAndMethods(string templateOrMethod, int octet, string? cidr)
    {
        if (cidr is null)
        {
            Assert.Equal("host tenant_acme tenant_acme_user 10.1.0.0/16 md5", PgHbaPolicy.Create(null, templateOrMethod).LineFor(Acme, octet));
            return;
        }
        Assert.Equal(cidr, PgHbaPolicy.Create(templateOrMethod, "cert").CidrFor(octet));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(255)]
    [InlineData(-1)]
    public void OctetsOutsideOneTo254AreRefused(int octet) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => Policy.LineFor(Acme, octet));

    [Theory]
    [InlineData($"{PgHbaText.BeginMarker}\nhost all all 0.0.0.0/0 trust\n{PgHbaText.EndMarker}\n")] // foreign line inside the block
    [InlineData($"{PgHbaText.BeginMarker}\nhost tenant_acme tenant_beta_user 10.1.0.0/16 scram-sha-256\n{PgHbaText.EndMarker}\n")]
    [InlineData($"{PgHbaText.BeginMarker}\nhost all all 0.0.0.0/0 reject\n")] // no END
    [InlineData($"{PgHbaText.EndMarker}\n")]
    [InlineData($"{PgHbaText.BeginMarker}\n{PgHbaText.EndMarker}\n{PgHbaText.BeginMarker}\n{PgHbaText.EndMarker}\n")]
    public void ATamperedBlockIsRefusedNotRewritten(string text) =>
        Assert.Throws<InvalidDataException>(() => PgHbaText.SetTenant(text, Acme, Policy.LineFor(Acme, 7)));

    [Fact]
    public void FacadeSkipsWithTheReasonWhenOffOrWithoutRegistry()
    {
        var store = new PostgresTenantStore(TestServers.PostgresAdmin);
        var secrets = Path.Combine(Path.GetTempPath(), "rbh-unused-secrets");
        var hba = new PgHbaFile("/nonexistent/pg_hba.conf", Policy, TestServers.PostgresAdmin);

        var off = new PostgresSteps(Facades.Run(Facades.Services(secrets), Acme), store, "disabled", null);
        Assert.Equal(PostgresSteps.HbaOff, Assert.IsType<SkippedOperation>(off.AllowTenantNetwork()).Reason);
        Assert.Equal(PostgresSteps.HbaOff, Assert.IsType<SkippedOperation>(off.RemoveTenantNetwork()).Reason);
        Assert.Contains("RUNBOOKHOST_Postgres__HbaFile", PostgresSteps.HbaOff, StringComparison.Ordinal);

        var noRegistry = new PostgresSteps(Facades.Run(Facades.Services(secrets), Acme), store, "disabled", hba);
        Assert.Equal(PostgresSteps.NoRegistry, Assert.IsType<SkippedOperation>(noRegistry.AllowTenantNetwork()).Reason);

        // The registry is only read when the step runs: describing it (a dry run) never connects.
        var registry = new RunbookHost.Registry.TenantRegistry("Host=127.0.0.1;Port=1;Username=nobody;Password=unused", "never_opened");
        var on = new PostgresSteps(Facades.Run(Facades.Services(secrets, s => new RunbookServices
        {
            Settings = s.Settings, Clock = s.Clock, Keys = s.Keys, Registry = registry,
        }), Acme), store, "disabled", hba);
        var allow = on.AllowTenantNetwork();
        Assert.NotNull(allow.Rollback);
        Assert.Contains("/nonexistent/pg_hba.conf", allow.Describe()[0], StringComparison.Ordinal);
        Assert.Contains("host tenant_acme tenant_acme_user 10.<tenant_octet>.0.0/16 scram-sha-256", allow.Describe()[0], StringComparison.Ordinal);
        Assert.Contains("remove the managed line for database tenant_acme", on.RemoveTenantNetwork().Describe()[0], StringComparison.Ordinal);

        var noStore = new PostgresSteps(Facades.Run(Facades.Services(secrets), Acme), null, "disabled: PostgreSQL is not configured", hba);
        Assert.Equal("disabled: PostgreSQL is not configured", Assert.IsType<SkippedOperation>(noStore.AllowTenantNetwork()).Reason);
    }

    [Fact]
    public void SettingsAreOffByDefault()
    {
        var settings = new PostgresSettings { AdminConnectionString = TestServers.PostgresAdmin };
        Assert.Equal("", settings.HbaFile);
        Assert.Equal("10.{octet}.0.0/16", settings.HbaCidrTemplate);
        Assert.Equal("scram-sha-256", settings.HbaMethod);
        Assert.Null(PgHbaFile.FromSettings(settings));
        settings.HbaFile = "/etc/postgresql/15/main/pg_hba.conf";
        Assert.NotNull(PgHbaFile.FromSettings(settings));
        settings.HbaMethod = "trust";
        Assert.Throws<ArgumentException>(() => PgHbaFile.FromSettings(settings));
    }
}
