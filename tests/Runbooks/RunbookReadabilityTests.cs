using RunbookHost.Tests.Host;

namespace RunbookHost.Tests.Runbooks;

/// <summary>
/// What the smaller runbook API promises auditors, checked on the product's own runbooks and on a hostile one: no dry-run
/// branches and no plumbing in the scripts, and a record that a script can read but not rewrite.
/// </summary>
public sealed class RunbookReadabilityTests
{
    private static IEnumerable<string> ProductRunbooks() =>
        Directory.EnumerateFiles(Path.Combine(StorageEnvironment.RepositoryRoot(), "runbooks"), "*.csx", SearchOption.AllDirectories);

    [Fact]
    public void TheProductRunbooksHaveNoDryRunBranchesAndPassNoTenantOrCancellationToken()
    {
        foreach (var file in ProductRunbooks())
        {
            var code = string.Join('\n', File.ReadAllLines(file).Where(l => !l.TrimStart().StartsWith("//", StringComparison.Ordinal)));
            Assert.DoesNotContain("DryRun", code);
            Assert.DoesNotContain("CancellationToken", code);
            Assert.DoesNotMatch(@"[(,]\s*Tenant\s*[,)]", code);
        }
    }

    [Fact]
    public async Task AScriptCannotChangeItsOwnRecord()
    {
        using var host = new HostProcess();
        host.WriteRunbook("forge.csx", """
            // @runbook  forge
            // @version  1.0.0
            // @summary  Tries to erase a failed check from its own evidence
            Record.Checks.Clear();
            return null;
            """);
        await host.Lock();

        var run = await host.Run("run", "forge", "--tenant", "acme");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("runbooks/forge.csx(4,", run.StandardError);
        Assert.Contains("CS1061", run.StandardError);
        Assert.DoesNotContain(host.FilesWritten(), f => f.Contains("/evidence/", StringComparison.Ordinal));
    }
}
