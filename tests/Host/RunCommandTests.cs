using System.Text.Json.Nodes;

namespace RunbookHost.Tests.Host;

public class RunCommandTests
{
    [Fact]
    public async Task ARunbookThatReturnsAValueWritesVerifiableEvidenceHoldingTheResult()
    {
        using var host = new HostProcess();
        host.WriteRunbook("answer.csx", RunbookSources.Answer);
        await host.Lock();

        var run = await host.Run("run", "answer", "--tenant", "acme", "--param", "greeting=hi", "--json");

        Assert.True(run.ExitCode == 0, run.StandardError);
        var outcome = JsonNode.Parse(run.StandardOutput)!;
        Assert.Equal("hi", outcome["result"]!["greeting"]!.GetValue<string>());
        var evidenceFile = outcome["evidence"]!.GetValue<string>();
        Assert.StartsWith(Path.Combine(host.EvidenceDir, "acme"), evidenceFile);
        var verify = await host.VerifyEvidenceOffline();
        Assert.True(verify.ExitCode == 0, verify.StandardOutput + verify.StandardError);
    }

    [Fact]
    public async Task TheSecondRunLoadsTheCachedAssemblyWithoutLoadingTheCompiler()
    {
        using var host = new HostProcess();
        host.WriteRunbook("answer.csx", RunbookSources.Answer);
        await host.Lock();

        var first = JsonNode.Parse((await host.Run("run", "answer", "--tenant", "acme", "--json")).StandardOutput)!;
        var second = JsonNode.Parse((await host.Run("run", "answer", "--tenant", "acme", "--json")).StandardOutput)!;

        Assert.True(first["compiled"]!.GetValue<bool>());
        Assert.False(second["compiled"]!.GetValue<bool>());
        Assert.False(second["compiler_loaded"]!.GetValue<bool>());
    }

    [Fact]
    public async Task AFailingStepRollsBackCompletedStepsAndExitsOne()
    {
        using var host = new HostProcess();
        host.WriteRunbook("fails.csx", RunbookSources.FailsAfterFirstStep);
        await host.Lock();
        host.Environment["MARKER_DIR"] = host.WorkDir;

        var run = await host.Run("run", "fails", "--tenant", "acme", "--json");

        Assert.Equal(1, run.ExitCode);
        var outcome = JsonNode.Parse(run.StandardOutput)!;
        Assert.Contains("the second step broke", outcome["error"]!.GetValue<string>());
        Assert.Contains("fails.csx:", outcome["error"]!.GetValue<string>());
        Assert.Equal("1. create marker", outcome["rolled_back"]![0]!.GetValue<string>());
        Assert.False(File.Exists(Path.Combine(host.WorkDir, "created-acme")));
        Assert.True(File.Exists(outcome["evidence"]!.GetValue<string>()));
    }

    [Fact]
    public async Task ADryRunDescribesStepsWithoutApplyingThem()
    {
        using var host = new HostProcess();
        host.WriteRunbook("fails.csx", RunbookSources.FailsAfterFirstStep);
        await host.Lock();
        host.Environment["MARKER_DIR"] = host.WorkDir;

        var run = await host.Run("run", "fails", "--tenant", "acme", "--dry-run");

        Assert.Equal(0, run.ExitCode);
        Assert.Contains("[dry-run] 1. create marker: touch marker", run.StandardError);
        Assert.False(File.Exists(Path.Combine(host.WorkDir, "created-acme")));
    }

    [Fact]
    public async Task ASecretParameterNeverReachesEvidenceOrLogs()
    {
        using var host = new HostProcess();
        host.WriteRunbook("answer.csx", RunbookSources.Answer);
        await host.Lock();
        const string secret = "s3cr3t-Value-that-must-not-leak";

        var run = await host.Run("run", "answer", "--tenant", "acme", "--param", $"token={secret}");

        Assert.Equal(0, run.ExitCode);
        Assert.DoesNotContain(secret, run.StandardOutput + run.StandardError);
        foreach (var file in host.FilesWritten())
        {
            var text = File.ReadAllText(file);
            Assert.DoesNotContain(secret, text);
            if (file.EndsWith(".json", StringComparison.Ordinal) && text.Contains("\"payload\"", StringComparison.Ordinal))
            {
                var payload = System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(JsonNode.Parse(text)!["payload"]!.GetValue<string>()));
                Assert.DoesNotContain(secret, payload);
            }
        }
    }
}
