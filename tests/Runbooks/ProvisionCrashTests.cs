using System.Text.Json.Nodes;
using RunbookHost.Runbooks;
using RunbookHost.Tenants;
using RunbookHost.Tests.Support;

namespace RunbookHost.Tests.Runbooks;

/// <summary>
/// Provision is killed (SIGKILL, no cleanup of any kind) after each of its steps in turn; a re-run must
/// end with the tenant provisioned and verified, and deprovision must then leave nothing behind.
/// </summary>
public sealed class ProvisionCrashTests(StorageEnvironment stores) : IClassFixture<StorageEnvironment>
{
    [Fact]
    public async Task ProvisionKilledAfterAnyStepIsCompletedByARerunAndDeprovisionThenLeavesNothing()
    {
        using var host = stores.NewHost(allStores: false);
        var completedSteps = await CountSteps(host);
        Assert.True(completedSteps >= 10, $"provision reported only {completedSteps} steps");

        for (var step = 1; step <= completedSteps; step++)
        {
            var tenant = TestServers.NewTenantId();
            host.Environment[CrashTestHook.Variable] = $"step:{step}";
            var killed = await host.Run("run", "provision", "--tenant", tenant.Value);
            Assert.True(killed.ExitCode is 137 or -9, $"step {step}: expected SIGKILL, got exit {killed.ExitCode}: {killed.StandardError}");

            host.Environment.Remove(CrashTestHook.Variable);
            var rerun = await host.Run("run", "provision", "--tenant", tenant.Value, "--json");
            Assert.True(rerun.ExitCode == 0, $"step {step}: re-run failed: {rerun.StandardOutput}{rerun.StandardError}");
            Assert.All(StorageEnvironment.Checks(Evidence(rerun.StandardOutput)), c => Assert.True(c.Pass, $"step {step}: {c.Store}/{c.Test} {c.Result}"));

            var deprovision = await host.Run("run", "deprovision", "--tenant", tenant.Value);
            Assert.True(deprovision.ExitCode == 0, $"step {step}: deprovision failed: {deprovision.StandardError}");
            await AssertNothingRemains(tenant, step);
        }
    }

    private static async Task<int> CountSteps(Host.HostProcess host)
    {
        var tenant = TestServers.NewTenantId();
        var run = await host.Run("run", "provision", "--tenant", tenant.Value, "--json");
        Assert.True(run.ExitCode == 0, run.StandardError);
        var steps = StorageEnvironment.Predicate(Evidence(run.StandardOutput))["steps"]!.AsArray()
            .Count(s => s!["status"]!.GetValue<string>() == "succeeded");
        Assert.Equal(0, (await host.Run("run", "deprovision", "--tenant", tenant.Value)).ExitCode);
        return steps;
    }

    private static async Task AssertNothingRemains(TenantId tenant, int step)
    {
        var postgres = await new RunbookHost.Stores.Postgres.PostgresTenantStore(TestServers.PostgresAdmin).GetStateAsync(tenant);
        Assert.True(postgres.NothingRemains, $"step {step}: PostgreSQL still has {postgres}");
        await using var redis = new RunbookHost.Stores.Redis.RedisTenantStore(TestServers.Redis);
        var state = await redis.GetStateAsync(tenant);
        Assert.True(state.NothingRemains, $"step {step}: Redis still has {state}");
    }

    private static string Evidence(string json) => JsonNode.Parse(json)!["evidence"]!.GetValue<string>();
}
