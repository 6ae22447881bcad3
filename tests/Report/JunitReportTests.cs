using System.Xml.Linq;
using RunbookHost.Report;

namespace RunbookHost.Tests.Report;

public sealed class JunitReportTests : IDisposable
{
    private readonly ReportEvidence _evidence = new();

    public void Dispose() => _evidence.Dispose();

    private static XDocument Junit(ReportModel model)
    {
        using var buffer = new MemoryStream();
        JunitReportWriter.Write(buffer, model);
        buffer.Position = 0;
        return XDocument.Load(buffer);
    }

    [Fact]
    public void OneSuitePerTenantOneCasePerCheckAndTheCountsAddUp()
    {
        _evidence.WriteTenant("acme");
        _evidence.WriteTenant("globex", ReportEvidence.OneOfEach("connected to tenant_acme \u0001"));
        var xml = Junit(_evidence.Model());
        var root = xml.Root!;
        var checks = ReportEvidence.VerifyChecks.Length;

        Assert.Equal("testsuites", root.Name.LocalName);
        Assert.Equal(["acme", "globex"], root.Elements("testsuite").Select(s => (string)s.Attribute("name")!));
        Assert.Equal((2 * (checks + 1), 1, 1, 1), ((int)root.Attribute("tests")!, (int)root.Attribute("failures")!, (int)root.Attribute("errors")!, (int)root.Attribute("skipped")!));
        var globex = root.Elements("testsuite").Single(s => (string)s.Attribute("name")! == "globex");
        Assert.Equal(checks + 1, (int)globex.Attribute("tests")!);
        Assert.Equal(checks + 1, globex.Elements("testcase").Count());
        var failure = globex.Elements("testcase").Single(t => (string)t.Attribute("name")! == "cross_db_connect").Element("failure")!;
        Assert.Equal("ALLOWED: connected to tenant_acme \uFFFD", (string)failure.Attribute("message")!);
        var error = globex.Elements("testcase").Single(t => (string)t.Attribute("name")! == "own_prefix_rw").Element("error")!;
        Assert.Equal("incomplete", (string)error.Attribute("type")!);
        Assert.Contains("redis unreachable", (string)error.Attribute("message")!);
        Assert.NotNull(globex.Elements("testcase").Single(t => (string)t.Attribute("name")! == "own_key_decrypts").Element("skipped"));
        Assert.Contains(globex.Element("properties")!.Elements("property"), p => (string)p.Attribute("name")! == "evidence_sha256");
    }

    [Fact]
    public void EvidenceThatFailedVerificationFailsItsSuite()
    {
        var file = _evidence.WriteTenant("acme");
        File.AppendAllText(file, " ");
        var suite = Junit(_evidence.Model()).Root!.Element("testsuite")!;
        var evidence = suite.Elements("testcase").First();
        Assert.Equal("evidence verifies", (string)evidence.Attribute("name")!);
        Assert.Contains("canonical form", (string)evidence.Element("failure")!.Attribute("message")!);
        Assert.Equal(1, (int)suite.Attribute("failures")!);
    }
}
