using RunbookHost.Tests.Registry;
using RunbookHost.Tests.Support;

namespace RunbookHost.Tests.Runbooks;

/// <summary>
/// A verification that proved nothing must never look green. Each test breaks the environment the way an operator's
/// would break (configuration lost, wrong registry, registry down) after real tenants were provisioned on the real
/// PostgreSQL and Redis, and shows the result is incomplete (exit 4) and says why — never "succeeded".
/// </summary>
public sealed class NoVacuousPassTests(StorageEnvironment stores) : IClassFixture<StorageEnvironment>
{
    [Fact]
    public async Task VerifyWithTheStoresConfigurationRemovedIsIncompleteForATenantProvisionedInThem()
    {
        using var host = stores.NewHost(allStores: false);
        var tenant = TestServers.NewTenantId().Value;
        await StorageIsolationRunbookTests.Run(host, "provision", tenant);

        // The registry stays (so the record of what the tenant has is readable); PostgreSQL as a store and Redis are gone.
        host.Environment["RUNBOOKHOST_Redis__Configuration"] = "";
        host.Environment["RUNBOOKHOST_Postgres__Enabled"] = "true";
        var noRedis = await host.Run("run", "verify", "--tenant", tenant);
        Assert.Equal(4, noRedis.ExitCode);
        Assert.Contains($"{tenant}: INCOMPLETE", noRedis.StandardOutput);
        Assert.Contains("redis/isolation", noRedis.StandardOutput);
        var checks = StorageEnvironment.Checks(Evidence(noRedis.StandardOutput));
        Assert.Contains(checks, c => c.Store == "redis" && c.Result == "NOT_VERIFIED" && !c.Pass);
        Assert.Contains(checks, c => c.Store == "postgresql" && c.Test == "cross_db_connect" && c.Result == "DENIED");
        Assert.False(StorageEnvironment.Predicate(Evidence(noRedis.StandardOutput))["overall_pass"]!.GetValue<bool>());

        // Everything gone, the registry too (it lives on PostgreSQL): nothing is known, nothing passes.
        host.Environment["RUNBOOKHOST_Postgres__AdminConnectionString"] = "";
        var nothing = await host.Run("run", "verify", "--tenant", tenant);
        Assert.Equal(4, nothing.ExitCode);
        Assert.Contains("no registry is configured", nothing.StandardOutput);
        var predicate = StorageEnvironment.Predicate(Evidence(nothing.StandardOutput));
        Assert.False(predicate["overall_pass"]!.GetValue<bool>());
        Assert.DoesNotContain(StorageEnvironment.Checks(Evidence(nothing.StandardOutput)), c => c.Result == "SKIPPED");
    }

    [Fact]
    public async Task AFleetRunAgainstAnEmptyOrWrongRegistryBesideEvidenceIsIncompleteAndNamesTheTenants()
    {
        // A registry of its own: the fleet is exactly the two tenants whose evidence this host folder holds.
        using var host = stores.NewHost(allStores: false);
        var own = new RunbookHost.Registry.TenantRegistry(TestServers.PostgresAdmin, TestServers.NewDatabaseName("rbh_fleet"));
        host.Environment["RUNBOOKHOST_Registry__Database"] = own.Database;
        var a = TestServers.NewTenantId().Value;
        var b = TestServers.NewTenantId().Value;
        await StorageIsolationRunbookTests.Run(host, "provision", a);
        await StorageIsolationRunbookTests.Run(host, "provision", b);

        var right = await host.Run("run", "verify", "--all-tenants");
        Assert.True(right.ExitCode == 0, right.StandardOutput + right.StandardError);
        Assert.Contains("fleet-wide proof passed", right.StandardOutput);

        var wrong = new RunbookHost.Registry.TenantRegistry(TestServers.PostgresAdmin, TestServers.NewDatabaseName("rbh_wrong"));
        host.Environment["RUNBOOKHOST_Registry__Database"] = wrong.Database;
        try
        {
            var run = await host.Run("run", "verify", "--all-tenants");
            Assert.Equal(4, run.ExitCode);
            Assert.Contains("0 tenants: 0 passed, 0 failed, 0 incomplete; fleet-wide proof incomplete", run.StandardOutput);
            Assert.Contains("unknown to the registry", run.StandardOutput);
            Assert.Contains(a, run.StandardOutput);
            Assert.Contains(b, run.StandardOutput);
        }
        finally
        {
            await RegistryDatabase.Drop(wrong);
            await RegistryDatabase.Drop(own);
        }
    }

    [Fact]
    public async Task AnUnreachableRegistryMakesVerifyIncompleteAndRefusesEveryActionOfARotation()
    {
        using var host = stores.NewHost(allStores: false);
        var tenant = TestServers.NewTenantId().Value;
        await StorageIsolationRunbookTests.Run(host, "provision", tenant);
        var keyBefore = File.ReadAllText(Path.Combine(host.SecretsDir, "tenants", tenant, "key.pub"));

        // A port nothing listens on: the registry (and PostgreSQL) are down, Redis is up.
        host.Environment["RUNBOOKHOST_Postgres__AdminConnectionString"] = "Host=127.0.0.1;Port=1;Username=postgres;Password=unused;Timeout=2";
        var verify = await host.Run("run", "verify", "--tenant", tenant);
        Assert.Equal(4, verify.ExitCode);
        Assert.Contains("the registry is unreachable", verify.StandardOutput);

        var rotate = await host.Run("run", "rotate-keys", "--tenant", tenant, "--param", "reason=scheduled");
        Assert.Equal(1, rotate.ExitCode);
        Assert.Contains("refusing to act", rotate.StandardOutput);
        Assert.Equal(keyBefore, File.ReadAllText(Path.Combine(host.SecretsDir, "tenants", tenant, "key.pub")));
        Assert.False(File.Exists(Path.Combine(host.SecretsDir, "tenants", tenant, "key-new.age")));
    }

    private static string Evidence(string output) =>
        output.Split('\n').Single(l => l.StartsWith("evidence: ", StringComparison.Ordinal))["evidence: ".Length..].Trim();
}
