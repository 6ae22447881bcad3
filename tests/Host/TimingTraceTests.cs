namespace RunbookHost.Tests.Host;

/// <summary>RUNBOOKHOST_TIMING=1 (docs/configuration.md): where a run's time went, on stderr, names only — and nothing without it.</summary>
public class TimingTraceTests
{
    [Fact]
    public async Task WithTheVariableARunPrintsItsPhasesAndCountedOperationsAndNoData()
    {
        using var host = new HostProcess();
        host.WriteRunbook("answer.csx", RunbookSources.Answer);
        await host.Lock();
        host.Environment["RUNBOOKHOST_TIMING"] = "1";

        var run = await host.Run("run", "answer", "--tenant", "acme", "--json");

        Assert.True(run.ExitCode == 0, run.StandardError);
        var lines = run.StandardError.Split('\n').Where(l => l.StartsWith("timing:", StringComparison.Ordinal)).ToList();
        foreach (var phase in new[] { "main", "configuration bound", "runbook compiled", "tenant file lock held", "evidence signed and written", "exit" })
            Assert.Contains(lines, l => l.Contains(phase, StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("total evidence: ECDSA sign", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("total fsync: file (create-only)", StringComparison.Ordinal));
        Assert.DoesNotContain(lines, l => l.Contains("acme", StringComparison.Ordinal) || l.Contains(host.WorkDir, StringComparison.Ordinal));
        Assert.StartsWith("{", run.StandardOutput.TrimStart(), StringComparison.Ordinal); // --json output stays clean
    }

    [Fact]
    public async Task WithoutTheVariableNothingIsPrinted()
    {
        using var host = new HostProcess();
        host.WriteRunbook("answer.csx", RunbookSources.Answer);
        await host.Lock();
        host.Environment["RUNBOOKHOST_TIMING"] = null; // not inherited from whoever runs the tests

        var run = await host.Run("run", "answer", "--tenant", "acme", "--json");

        Assert.True(run.ExitCode == 0, run.StandardError);
        Assert.DoesNotContain("timing:", run.StandardError + run.StandardOutput, StringComparison.Ordinal);
    }
}
