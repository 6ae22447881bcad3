namespace RunbookHost.Tests.Host;

public class RunbookSourceRulesTests
{
    [Fact]
    public async Task ACompileErrorInALoadedFilePointsAtThatFileAndLineAndExitsTwo()
    {
        using var host = new HostProcess();
        Directory.CreateDirectory(Path.Combine(host.RunbooksDir, "shared"));
        host.WriteRunbook("loads.csx", RunbookSources.LoadsShared);
        host.WriteRunbook("shared/steps.csx", RunbookSources.SharedStepsWithError);
        await host.Lock();

        var run = await host.Run("run", "loads", "--tenant", "acme");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("runbooks/shared/steps.csx(4,", run.StandardError);
        Assert.DoesNotContain("   at ", run.StandardError);
        Assert.False(Directory.Exists(host.EvidenceDir));
    }

    [Fact]
    public async Task ALoadedSharedFileIsCompiledIn()
    {
        using var host = new HostProcess();
        Directory.CreateDirectory(Path.Combine(host.RunbooksDir, "shared"));
        host.WriteRunbook("loads.csx", RunbookSources.LoadsShared);
        host.WriteRunbook("shared/steps.csx", RunbookSources.SharedSteps);
        await host.Lock();

        var run = await host.Run("run", "loads", "--tenant", "acme");

        Assert.True(run.ExitCode == 0, run.StandardError);
        Assert.Contains("result: 42", run.StandardOutput);
    }

    [Theory]
    [InlineData("#r \"System.Net.Http\"", "#r is not allowed")]
    [InlineData("#r \"nuget: Newtonsoft.Json, 13.0.1\"", "#r is not allowed")]
    [InlineData("#load \"../outside.csx\"", "#load must name an existing .csx file inside runbooks/")]
    [InlineData("#load \"/etc/passwd\"", "#load must name an existing .csx file inside runbooks/")]
    public async Task ReferencesAndLoadsOutsideTheRunbooksFolderAreRefused(string directive, string expected)
    {
        using var host = new HostProcess();
        File.WriteAllText(Path.Combine(host.WorkDir, "outside.csx"), "// @shared outside\n// @version 1.0.0\n// @summary x\nint X = 1;\n");
        host.WriteRunbook("bad.csx", $"// @runbook  bad\n// @version  1.0.0\n// @summary  Bad\n{directive}\nreturn 1;\n");

        var run = await host.Run("list", "--write-lock");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains($"runbooks/bad.csx(4,1): {expected}", run.StandardError);
    }

    [Fact]
    public async Task ARunbookChangedWithoutAVersionBumpDoesNotRun()
    {
        using var host = new HostProcess();
        host.WriteRunbook("answer.csx", RunbookSources.Answer);
        await host.Lock();
        host.WriteRunbook("answer.csx", RunbookSources.Answer + "\n// an unreviewed edit\n");

        var run = await host.Run("run", "answer", "--tenant", "acme");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("runbooks/answer.csx changed but its @version 1.0.0 was not bumped", run.StandardError);
    }

    [Theory]
    [InlineData("--param", "nosuch=1", "has no parameter 'nosuch'")]
    [InlineData("--param", "greeting=howdy", "--param greeting must be one of hello, hi")]
    [InlineData("--param", "greeting", "--param expects key=value")]
    public async Task UnknownOrInvalidParametersAreRejectedBeforeAnythingRuns(string option, string value, string expected)
    {
        using var host = new HostProcess();
        host.WriteRunbook("answer.csx", RunbookSources.Answer);
        await host.Lock();

        var run = await host.Run("run", "answer", "--tenant", "acme", option, value);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains(expected, run.StandardError);
        Assert.DoesNotContain(host.FilesWritten(), f => !f.EndsWith("runbooks.lock", StringComparison.Ordinal));
    }
}
