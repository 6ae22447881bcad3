namespace RunbookHost.Tests.Host;

/// <summary>
/// A file loaded in a form the compiler accepts is pinned like any other: changing it after review stops the run.
/// And nothing is loaded from outside runbooks/, whichever path component leads there.
/// </summary>
public class LoadEscapeTests
{
    [Theory]
    [InlineData("#  load \"shared/steps.csx\"")]
    [InlineData("#\tload \"shared/steps.csx\"")]
    [InlineData("\t#load \"shared/steps.csx\"")]
    [InlineData("\u00A0#load \"shared/steps.csx\"")]
    [InlineData("#load\"shared/steps.csx\"")]
    [InlineData("// note\u2028#load \"shared/steps.csx\"")]
    [InlineData("// note\u0085#  load \"shared/steps.csx\"")]
    public async Task AFileLoadedInAnyFormTheCompilerAcceptsIsPinnedByTheLock(string directive)
    {
        using var host = new HostProcess();
        Directory.CreateDirectory(Path.Combine(host.RunbooksDir, "shared"));
        // Written as is: WriteRunbook would normalize U+2028 and U+0085 to \n.
        File.WriteAllText(Path.Combine(host.RunbooksDir, "loads.csx"), $"// @runbook  loads\n// @version  1.0.0\n// @summary  Uses a shared step file\n{directive}\nreturn Twice(21);\n");
        host.WriteRunbook("shared/steps.csx", RunbookSources.SharedSteps);
        await host.Lock();
        var reviewed = await host.Run("run", "loads", "--tenant", "acme");
        Assert.True(reviewed.ExitCode == 0, reviewed.StandardError);
        Assert.Contains("result: 42", reviewed.StandardOutput);

        host.WriteRunbook("shared/steps.csx", RunbookSources.SharedSteps.Replace("value * 2", "value * 3", StringComparison.Ordinal));
        var changed = await host.Run("run", "loads", "--tenant", "acme");

        Assert.Equal(2, changed.ExitCode);
        Assert.Contains("runbooks/shared/steps.csx changed but its @version 1.0.0 was not bumped", changed.StandardError);
    }

    [Theory]
    [InlineData("outside")]          // runbooks/lib -> a folder outside
    [InlineData("outside/deeper")]   // runbooks/lib -> a folder further down outside
    public async Task ASymlinkedFolderLeadingOutsideRunbooksIsRefused(string target)
    {
        using var host = new HostProcess();
        var outside = Path.Combine(host.WorkDir, target);
        Directory.CreateDirectory(outside);
        File.WriteAllText(Path.Combine(outside, "steps.csx"), RunbookSources.SharedSteps);
        Directory.CreateSymbolicLink(Path.Combine(host.RunbooksDir, "lib"), outside);
        host.WriteRunbook("loads.csx", RunbookSources.LoadsShared.Replace("shared/steps.csx", "lib/steps.csx", StringComparison.Ordinal));

        var lockIt = await host.Run("list", "--write-lock");
        var run = await host.Run("run", "loads", "--tenant", "acme");

        Assert.Equal(2, lockIt.ExitCode);
        Assert.Equal(2, run.ExitCode);
        Assert.Contains("runbooks/loads.csx(4,1): #load of runbooks/lib/steps.csx leads outside runbooks/ through a symbolic link", run.StandardError);
        Assert.False(Directory.Exists(host.EvidenceDir));
    }

    [Fact]
    public async Task ASymlinkedFolderInsideRunbooksStillLoads()
    {
        using var host = new HostProcess();
        Directory.CreateDirectory(Path.Combine(host.RunbooksDir, "shared"));
        host.WriteRunbook("shared/steps.csx", RunbookSources.SharedSteps);
        Directory.CreateSymbolicLink(Path.Combine(host.RunbooksDir, "alias"), Path.Combine(host.RunbooksDir, "shared"));
        host.WriteRunbook("loads.csx", RunbookSources.LoadsShared.Replace("shared/steps.csx", "alias/steps.csx", StringComparison.Ordinal));
        await host.Lock();

        var run = await host.Run("run", "loads", "--tenant", "acme");

        Assert.True(run.ExitCode == 0, run.StandardError);
        Assert.Contains("result: 42", run.StandardOutput);
    }

    [Fact]
    public async Task ARunbookThatIsASymlinkToAFileOutsideIsRefused()
    {
        using var host = new HostProcess();
        var outside = Path.Combine(host.WorkDir, "elsewhere.csx");
        File.WriteAllText(outside, RunbookSources.Answer);
        File.CreateSymbolicLink(Path.Combine(host.RunbooksDir, "answer.csx"), outside);

        var run = await host.Run("list");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("runbooks/answer.csx leads outside runbooks/ through a symbolic link", run.StandardError);
    }
}
