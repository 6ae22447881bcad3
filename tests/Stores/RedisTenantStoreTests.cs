using RunbookHost.Stores;
using RunbookHost.Stores.Redis;
using RunbookHost.Tenants;
using RunbookHost.Tests.Support;
using StackExchange.Redis;

namespace RunbookHost.Tests.Stores;

public sealed class RedisTenantStoreTests : IAsyncLifetime
{
    private readonly RedisTenantStore _store = new(TestServers.Redis, aclSave: true);
    private ConnectionMultiplexer _admin = null!;

    public async Task InitializeAsync()
    {
        var options = ConfigurationOptions.Parse(TestServers.Redis);
        options.AllowAdmin = true;
        _admin = await ConnectionMultiplexer.ConnectAsync(options);
    }

    public async Task DisposeAsync()
    {
        await _store.DisposeAsync();
        await _admin.DisposeAsync();
    }

    private IServer AdminServer => _admin.GetServers()[0];

    [Fact]
    public async Task TwoProvisionedTenantsEachReachOnlyTheirOwnPrefix()
    {
        var (a, b) = (TestServers.NewTenantId(), TestServers.NewTenantId());
        var (pa, pb) = (StorePasswords.Generate(), StorePasswords.Generate());
        try
        {
            await _store.ProvisionAsync(a, pa);
            await _store.ProvisionAsync(b, pb);
            await _admin.GetDatabase().StringSetAsync(TenantStoreNames.RedisKeyPrefix(b) + "secret", "b-only");

            foreach (var check in (await _store.VerifyAsync(a, pa, b)).Concat(await _store.VerifyAsync(b, pb, a)))
                Assert.True(check.Pass, $"{check.Test}: {check.Result} {check.Detail}");

            var bKey = TenantStoreNames.RedisKeyPrefix(b) + "secret";
            Assert.Equal(CheckResults.Denied, await _store.ProbeAsync(a, pa, ["GET", bKey]));
            Assert.Equal(CheckResults.Denied, await _store.ProbeAsync(a, pa, ["SET", bKey, "overwritten"]));
            Assert.Equal(CheckResults.Denied, await _store.ProbeAsync(a, pa, ["SCAN", "0", "MATCH", "tenant:*"]));
            Assert.Equal(CheckResults.Allowed, await _store.ProbeAsync(b, pb, ["GET", bKey]));
            Assert.Equal("b-only", (string?)await _admin.GetDatabase().StringGetAsync(bKey));
        }
        finally
        {
            await _store.DeprovisionAsync(a);
            await _store.DeprovisionAsync(b);
        }
    }

    [Fact]
    public async Task EveryDeniedCommandLeaksWithoutItsRuleAndIsRefusedWithIt()
    {
        var control = TestServers.NewTenantId();
        var tenant = TestServers.NewTenantId();
        var other = TestServers.NewTenantId();
        var password = StorePasswords.Generate();
        var controlUser = TenantStoreNames.RedisUser(control);
        var pattern = TenantStoreNames.RedisKeyPattern(control);
        try
        {
            // The rule the spec started from: key and channel patterns plus -@dangerous only.
            await AdminServer.ExecuteAsync("ACL", "SETUSER", controlUser, "reset", "on", ">" + password, "~" + pattern, "&" + pattern, "+@all", "-@dangerous");
            await _store.ProvisionAsync(tenant, password);

            foreach (var rule in RedisAclPolicy.DenyRules.Where(r => r.Probe is not null))
            {
                var probe = RedisAclPolicy.ProbeFor(rule, other);
                var withoutRule = await _store.ProbeAsync(control, password, probe);
                var withRule = await _store.ProbeAsync(tenant, password, probe);
                if (rule.Rule is not ("-@dangerous" or "-keys"))
                    Assert.True(withoutRule == CheckResults.Allowed, $"{rule.Rule}: without the rule '{string.Join(' ', probe)}' was {withoutRule}");
                Assert.True(withRule == CheckResults.Denied, $"{rule.Rule}: with the rule '{string.Join(' ', probe)}' was {withRule}");
            }
        }
        finally
        {
            await AdminServer.ExecuteAsync("ACL", "DELUSER", controlUser);
            await _store.DeprovisionAsync(tenant);
        }
    }

    [Fact]
    public async Task ATenantConnectionThroughStackExchangeRedisWorksOnItsOwnPrefixIncludingPubSub()
    {
        var a = TestServers.NewTenantId();
        var password = StorePasswords.Generate();
        try
        {
            await _store.ProvisionAsync(a, password);
            var options = ConfigurationOptions.Parse(TestServers.Redis);
            options.User = TenantStoreNames.RedisUser(a);
            options.Password = password;
            options.TieBreaker = "";
            options.ConfigurationChannel = "";
            await using var tenant = await ConnectionMultiplexer.ConnectAsync(options);
            var db = tenant.GetDatabase();
            var key = TenantStoreNames.RedisKeyPrefix(a) + "list";
            await db.ListRightPushAsync(key, ["1", "2"]);
            Assert.Equal(2, await db.ListLengthAsync(key));
            Assert.True(await db.PingAsync() > TimeSpan.Zero);

            var channel = RedisChannel.Literal(TenantStoreNames.RedisKeyPrefix(a) + "events");
            var received = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
            await tenant.GetSubscriber().SubscribeAsync(channel, (_, m) => received.TrySetResult(m!));
            await tenant.GetSubscriber().PublishAsync(channel, "hello");
            Assert.Equal("hello", await received.Task.WaitAsync(TimeSpan.FromSeconds(10)));
        }
        finally
        {
            await _store.DeprovisionAsync(a);
        }
    }

    [Fact]
    public async Task ProvisioningTwiceReplacesTheRulesInsteadOfAppendingAndTheNewPasswordReplacesTheOld()
    {
        var a = TestServers.NewTenantId();
        var (first, second) = (StorePasswords.Generate(), StorePasswords.Generate());
        try
        {
            await _store.ProvisionAsync(a, first);
            var once = await _store.GetAclEntryAsync(a);
            await _store.ProvisionAsync(a, first);
            var twice = await _store.GetAclEntryAsync(a);
            Assert.NotNull(once);
            Assert.Equal(once, twice);
            Assert.Single(twice!.Split(' '), t => t.StartsWith('~'));
            Assert.Single(twice.Split(' '), t => t.StartsWith('&'));

            await _store.ProvisionAsync(a, second);
            var entry = await _store.GetAclEntryAsync(a);
            Assert.Single(entry!.Split(' '), t => t.StartsWith('#'));
            Assert.Equal(CheckResults.Error, await _store.ProbeAsync(a, first, ["PING"]));
            Assert.Equal(CheckResults.Allowed, await _store.ProbeAsync(a, second, ["PING"]));
        }
        finally
        {
            await _store.DeprovisionAsync(a);
        }
    }

    [Fact]
    public async Task DeprovisioningRemovesTheUserAndEveryKeyInEveryDatabaseAndLeavesTheOtherTenant()
    {
        var (a, b) = (TestServers.NewTenantId(), TestServers.NewTenantId());
        var (pa, pb) = (StorePasswords.Generate(), StorePasswords.Generate());
        try
        {
            await _store.ProvisionAsync(a, pa);
            await _store.ProvisionAsync(b, pb);
            for (var i = 0; i < 1200; i++)
                _ = _admin.GetDatabase(0).StringSetAsync(TenantStoreNames.RedisKeyPrefix(a) + "k" + i, "v", flags: CommandFlags.FireAndForget);
            await _admin.GetDatabase(3).StringSetAsync(TenantStoreNames.RedisKeyPrefix(a) + "elsewhere", "v");
            await _admin.GetDatabase(0).StringSetAsync(TenantStoreNames.RedisKeyPrefix(b) + "kept", "v");
            Assert.Equal(1201, (await _store.GetStateAsync(a)).KeyCount);

            await _store.DeprovisionAsync(a);
            await _store.DeprovisionAsync(a); // idempotent

            var state = await _store.GetStateAsync(a);
            Assert.True(state.NothingRemains, $"user exists: {state.UserExists}, keys: {state.KeyCount}");
            Assert.Equal(CheckResults.Error, await _store.ProbeAsync(a, pa, ["PING"]));
            Assert.Equal(1, (await _store.GetStateAsync(b)).KeyCount);
            Assert.All(await _store.VerifyAsync(b, pb, a), c => Assert.True(c.Pass, $"{c.Test}: {c.Result} {c.Detail}"));
        }
        finally
        {
            await _store.DeprovisionAsync(a);
            await _store.DeprovisionAsync(b);
        }
    }

    [Fact]
    public async Task TheFleetProofPassesForProvisionedTenantsAndCatchesAWidenedPatternOrARegrantedCommand()
    {
        var (a, b) = (TestServers.NewTenantId(), TestServers.NewTenantId());
        try
        {
            await _store.ProvisionAsync(a, StorePasswords.Generate());
            await _store.ProvisionAsync(b, StorePasswords.Generate());

            var clean = await _store.VerifyFleetAsync([a, b]);
            Assert.Equal(2, clean.UsersChecked);
            Assert.True(clean.Pass, string.Join("; ", clean.Violations));

            var user = TenantStoreNames.RedisUser(a);
            await AdminServer.ExecuteAsync("ACL", "SETUSER", user, "~" + TenantStoreNames.RedisKeyPattern(b), "+scan");
            var leaky = await _store.VerifyFleetAsync([a, b]);
            Assert.False(leaky.Pass);
            Assert.All(leaky.Violations, v => Assert.Equal(user, v.User));
            Assert.Contains(leaky.Violations, v => v.Problem.Contains("key pattern", StringComparison.Ordinal));
            Assert.Contains(leaky.Violations, v => v.Problem.Contains("SCAN", StringComparison.Ordinal));
            Assert.False(leaky.ToCheck().Pass);
        }
        finally
        {
            await _store.DeprovisionAsync(a);
            await _store.DeprovisionAsync(b);
        }
    }

    [Fact]
    public void TheDryRunShowsTheFullAclWithThePasswordMaskedAndDoesNotConnect()
    {
        var offline = new RedisTenantStore("unreachable.invalid:6379,user=nobody,password=nothing", aclSave: true);
        var tenant = TenantId.Parse("acme");
        var password = StorePasswords.Generate();

        var text = string.Join("\n", offline.PlanProvision(tenant, password).Describe().Concat(offline.PlanDeprovision(tenant).Describe()));

        Assert.Contains("acl-setuser: ACL SETUSER tenant_acme_user reset on #*** ~tenant:acme:* &tenant:acme:* +@all -@dangerous -scan -randomkey -dbsize -keys -client", text);
        Assert.Contains("acl-save: ACL SAVE", text);
        Assert.Contains("acl-deluser: ACL DELUSER tenant_acme_user", text);
        Assert.Contains("SCAN 0 MATCH tenant:acme:* COUNT 500", text);
        Assert.DoesNotContain(password, text);
        Assert.DoesNotMatch("#[0-9a-f]{64}", text);
    }
}

public class RedisAclLineTests
{
    [Fact]
    public void AProvisionedUsersLineHasNoProblems()
    {
        var acme = TenantId.Parse("acme");
        var line = "user tenant_acme_user on sanitize-payload #abc ~tenant:acme:* &tenant:acme:* +@all -@dangerous -scan";
        Assert.Empty(RedisTenantStore.CheckUserLine("tenant_acme_user", acme, line.Split(' ')));
    }

    [Theory]
    [InlineData("user tenant_acme_user on #abc ~tenant:acme:* ~tenant:other:* &tenant:acme:* +@all", "key pattern")]
    [InlineData("user tenant_acme_user on #abc %R~tenant:* &tenant:acme:* +@all", "key pattern")]
    [InlineData("user tenant_acme_user on #abc ~* &tenant:acme:* +@all", "key pattern")]
    [InlineData("user tenant_acme_user on #abc allkeys &tenant:acme:* +@all", "allkeys")]
    [InlineData("user tenant_acme_user on #abc ~tenant:acme:* &* +@all", "channel pattern")]
    [InlineData("user tenant_acme_user on nopass ~tenant:acme:* &tenant:acme:* +@all", "nopass")]
    [InlineData("user tenant_acme_user on #abc ~tenant:acme:* &tenant:acme:* +@all (~* +get)", "selector")]
    [InlineData("user tenant_acme_user on #abc &tenant:acme:* +@all", "no key pattern")]
    public void AWidenedOrUnprotectedUserIsReported(string line, string problem)
    {
        var found = RedisTenantStore.CheckUserLine("tenant_acme_user", TenantId.Parse("acme"), line.Split(' ')).ToList();
        Assert.Contains(found, v => v.Problem.Contains(problem, StringComparison.Ordinal));
    }

    [Fact]
    public void APasswordlessDefaultUserIsReportedAndADisabledOneIsNot()
    {
        Assert.Single(RedisTenantStore.CheckDefaultUserLine("user default on nopass sanitize-payload ~* &* +@all".Split(' ')));
        Assert.Empty(RedisTenantStore.CheckDefaultUserLine("user default off sanitize-payload resetchannels -@all".Split(' ')));
    }

    [Fact]
    public void TenantIdsAreRecoveredOnlyFromNamesThisLibraryMakes()
    {
        Assert.Equal(TenantId.Parse("acme"), TenantStoreNames.TenantOfUser("tenant_acme_user"));
        Assert.Equal(TenantId.Parse("acme"), TenantStoreNames.TenantOfPostgresDatabase("tenant_acme"));
        Assert.Null(TenantStoreNames.TenantOfUser("tenant__user"));
        Assert.Null(TenantStoreNames.TenantOfUser("tenant_ac-me_user"));
        Assert.Null(TenantStoreNames.TenantOfPostgresDatabase("tenant_acme_user"));
        Assert.Null(TenantStoreNames.TenantOfUser("runbookhost_admin"));
    }
}
