using System.Xml.Linq;
using RunbookHost.Tests.Host;

namespace RunbookHost.Tests.Report;

public sealed class ReportCommandTests : IDisposable
{
    private readonly ReportEvidence _evidence = new();
    private readonly HostProcess _host = new();

    public void Dispose()
    {
        _host.Dispose();
        _evidence.Dispose();
    }

    private string Out(string name) => Path.Combine(_evidence.Env.Root, name);

    [Fact]
    public async Task AVerifiedFolderGivesExitZeroAndEachFormat()
    {
        _evidence.WriteTenant("acme");
        foreach (var (format, file) in new[] { ("html", "r.html"), ("hdf", "r.json"), ("junit", "r.xml") })
        {
            var run = await _host.Run("report", _evidence.EvidenceRoot, "--key", _evidence.Env.PublicKeyPath, "--runbooks", _evidence.RunbooksDir,
                "--format", format, "-o", Out(file));
            Assert.True(run.ExitCode == 0, run.StandardOutput + run.StandardError);
            Assert.Contains("all 4 evidence files verified", run.StandardOutput);
        }
        Assert.StartsWith("<!DOCTYPE html>", File.ReadAllText(Out("r.html")));
        Assert.Equal("runbook-host", System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Out("r.json")))!["platform"]!["name"]!.GetValue<string>());
        Assert.Equal("testsuites", XDocument.Load(Out("r.xml")).Root!.Name.LocalName);
        Assert.Empty(Directory.GetFiles(_evidence.Env.Root, ".*.tmp"));
    }

    [Fact]
    public async Task AFileSignedByAnotherKeyThanThePinnedOneGivesExitThreeAndTheReportSaysWhy()
    {
        _evidence.WriteTenant("acme");
        using var other = new Tests.Evidence.EvidenceTestEnvironment();
        var run = await _host.Run("report", _evidence.EvidenceRoot, "--key", other.PublicKeyPath, "-o", Out("r.html"));
        Assert.Equal(3, run.ExitCode);
        Assert.Contains("untrusted-key", File.ReadAllText(Out("r.html")));
    }

    [Theory]
    [InlineData("--format", "pdf")]
    [InlineData("--format", "1")]
    [InlineData("--tenant", "Not_A_Tenant")]
    [InlineData("--since", "last tuesday")]
    [InlineData("--key", "/nonexistent/key.pem")]
    public async Task BadOptionsAreOneLineWithExitTwoAndWriteNothing(string option, string value)
    {
        _evidence.WriteTenant("acme");
        var run = await _host.Run("report", _evidence.EvidenceRoot, option, value, "-o", Out("r.html"));
        Assert.Equal(2, run.ExitCode);
        Assert.Single(run.StandardError.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.False(File.Exists(Out("r.html")));
    }

    [Fact]
    public async Task WithoutAPinnedKeyNothingIsTrustedAndNothingIsWritten()
    {
        _evidence.WriteTenant("acme");
        var run = await _host.Run("report", _evidence.EvidenceRoot, "-o", Out("r.html"));
        Assert.Equal(2, run.ExitCode);
        Assert.Contains("no trusted evidence key", run.StandardError);
        Assert.False(File.Exists(Out("r.html")));
    }

    [Fact]
    public async Task AMissingFolderOrOutputIsAUsageError()
    {
        Assert.Equal(2, (await _host.Run("report", Path.Combine(_evidence.Env.Root, "nope"), "-o", Out("r.html"))).ExitCode);
        Assert.Equal(2, (await _host.Run("report", _evidence.Env.Root)).ExitCode);
        Assert.Equal(2, (await _host.Run("report", _evidence.Env.Root, "-o", Path.Combine(_evidence.Env.Root, "no-folder", "r.html"))).ExitCode);
    }
}
