using System.Text;
using System.Text.Json;
using AngleSharp.Dom;
using AngleSharp.Html.Parser;
using RunbookHost.Report;

namespace RunbookHost.Tests.Report;

public sealed class HtmlReportTests : IDisposable
{
    /// <summary>Evidence text an insider could plant (in a check detail, a step detail, a source file): it must stay text.</summary>
    public const string Hostile = "<img src=x onerror=alert(1)></script><script>alert(2)</script>\"'><svg onload=alert(3)>";

    private readonly ReportEvidence _evidence = new();

    public void Dispose() => _evidence.Dispose();

    internal static string Html(ReportModel model)
    {
        using var buffer = new MemoryStream();
        HtmlReportWriter.Write(buffer, model);
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    /// <summary>Everything an element can load or navigate to, beyond the page itself: none may point anywhere.</summary>
    internal static void AssertSelfContained(IDocument document)
    {
        string[] urlAttributes = ["src", "href", "action", "formaction", "srcset", "poster", "data", "background", "cite", "longdesc", "manifest", "ping", "codebase", "xlink:href"];
        foreach (var element in document.All)
        {
            foreach (var attribute in element.Attributes)
            {
                Assert.False(attribute.Name.StartsWith("on", StringComparison.OrdinalIgnoreCase), $"<{element.LocalName} {attribute.Name}> is an event handler");
                if (urlAttributes.Contains(attribute.Name, StringComparer.OrdinalIgnoreCase))
                    Assert.True(attribute.Value.StartsWith('#') || attribute.Value.StartsWith("data:", StringComparison.Ordinal),
                        $"<{element.LocalName} {attribute.Name}=\"{attribute.Value}\"> points outside the page");
            }
        }
        Assert.Empty(document.QuerySelectorAll("link, iframe, frame, object, embed, base, img, svg, video, audio, source, track, form, meta[http-equiv=refresh]"));
        var scripts = document.QuerySelectorAll("script");
        Assert.Equal(2, scripts.Length);
        Assert.Equal("application/json", scripts[0].GetAttribute("type"));
        Assert.Null(scripts[1].GetAttribute("type"));
    }

    private (string Html, IDocument Document) Render(ReportModel model)
    {
        var html = Html(model);
        return (html, new HtmlParser().ParseDocument(html));
    }

    [Fact]
    public void ThePolicyForbidsEveryFetchAndAllowsExactlyTheInlineScriptAndStyleByHash()
    {
        _evidence.WriteTenant("acme");
        var (_, document) = Render(_evidence.Model());
        var policy = document.QuerySelector("meta[http-equiv=Content-Security-Policy]")!.GetAttribute("content")!;

        Assert.StartsWith("default-src 'none';", policy);
        Assert.Contains($"script-src '{HtmlAssets.Hash(document.QuerySelectorAll("script")[1].TextContent)}'", policy);
        Assert.Contains($"style-src '{HtmlAssets.Hash(document.QuerySelector("style")!.TextContent)}'", policy);
        Assert.DoesNotContain("unsafe", policy);
        Assert.Contains("img-src data:", policy);
        AssertSelfContained(document);
    }

    [Fact]
    public void HostileEvidenceTextNeverBecomesMarkupAndIsShownAsText()
    {
        _evidence.WriteTenant("acme", c => c.Test == "cross_db_connect" ? c with { Result = "ALLOWED", Pass = false, Detail = Hostile } : c);
        var record = _evidence.Record("acme", "deprovision", ReportEvidence.Night2.AddHours(1));
        record.Outcome = "failed";
        record.Error = Hostile;
        record.Steps.Add(new RunbookHost.Evidence.StepRecord(Hostile, "failed", 1, Hostile));
        _evidence.Env.Writer.Write(record);
        var hostileFolder = Path.Combine(_evidence.EvidenceRoot, "x\"><img src=y onerror=alert(4)>");
        Directory.CreateDirectory(hostileFolder);
        File.Copy(Directory.GetFiles(Path.Combine(_evidence.EvidenceRoot, "acme"))[0], Path.Combine(hostileFolder, "20261201T020000.000Z-provision.json"));

        var (html, document) = Render(_evidence.Model());

        AssertSelfContained(document);
        Assert.Contains(Hostile, document.QuerySelector("#attention")!.TextContent);
        Assert.Contains("x\"><img src=y onerror=alert(4)>", document.QuerySelector("#verification")!.TextContent);
        using var data = JsonDocument.Parse(document.QuerySelector("#report-data")!.TextContent);
        Assert.Contains(Hostile, data.RootElement.GetProperty("strings").EnumerateArray().Select(s => s.GetString()));
        Assert.DoesNotContain("</", html[html.IndexOf("id=\"report-data\">", StringComparison.Ordinal)..html.LastIndexOf("</script>\n<script>", StringComparison.Ordinal)]);
    }

    [Fact]
    public void ATamperedFileIsNamedAtTheTopInWords()
    {
        var file = _evidence.WriteTenant("acme");
        _evidence.WriteTenant("globex");
        var bytes = File.ReadAllBytes(file);
        bytes[bytes.Length / 2] ^= 0x01;
        File.WriteAllBytes(file, bytes);

        var (_, document) = Render(_evidence.Model());
        var top = document.QuerySelector("section")!;

        Assert.Equal("verification", top.Id);
        Assert.Contains("VERIFICATION FAILED: 1 of 8 evidence files do not verify", top.TextContent);
        Assert.Contains($"acme/{Path.GetFileName(file)}:", top.TextContent);
    }

    [Fact]
    public void AVerifiedFolderSaysSoAndNamesTheFingerprintThatVerified()
    {
        _evidence.WriteTenant("acme");
        var (_, document) = Render(_evidence.Model());
        Assert.Contains("Verified: all 4 evidence files", document.QuerySelector("#verification")!.TextContent);
        Assert.Contains($"{_evidence.Env.Signer.KeyId} (pinned by --key {_evidence.Env.PublicKeyPath}; 4 file(s))", document.QuerySelector("footer")!.TextContent);
    }

    [Fact]
    public void TheSourceThatRanIsShownAndASourceChangedSinceIsSaidToDiffer()
    {
        _evidence.WriteTenant("acme");
        File.AppendAllText(Path.Combine(_evidence.RunbooksDir, "rotate-keys.csx"), "// changed after it ran\n");
        var (_, document) = Render(_evidence.Model());

        var provision = document.GetElementById($"src-{_evidence.Sha("provision.csx")}")!;
        Assert.Equal(File.ReadAllText(Path.Combine(_evidence.RunbooksDir, "provision.csx")), provision.QuerySelector("pre")!.TextContent);
        Assert.Contains("source differs from what ran", document.QuerySelector("#sources")!.TextContent);
    }

    [Fact]
    public void InvisibleAndBidirectionalCharactersInASourceAreMarked()
    {
        File.WriteAllText(Path.Combine(_evidence.RunbooksDir, "verify.csx"), "// @runbook verify\nvar ok = true; // \u202E }; ok = false; {\n");
        _evidence.WriteTenant("acme");
        var (_, document) = Render(_evidence.Model());
        var source = document.GetElementById($"src-{_evidence.Sha("verify.csx")}")!;
        Assert.Contains("1 invisible or bidirectional control character(s), marked", source.TextContent);
        Assert.Equal("\u27e8U+202E\u27e9", source.QuerySelector(".bidi")!.TextContent);
        Assert.DoesNotContain("\u202E", source.TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public void SinceAndTenantNarrowWhatIsShownButNotWhatIsVerified()
    {
        _evidence.WriteTenant("acme");
        _evidence.WriteTenant("globex");
        var model = _evidence.Model(since: ReportEvidence.Night2, tenants: ["globex"]);

        Assert.Equal(["globex"], model.Tenants.Select(t => t.Tenant));
        Assert.Equal(["rotate-keys", "verify"], model.Tenants[0].Runs.Select(r => r.Runbook));
        Assert.Equal(4, model.Verification.Files.Count);
        Assert.True(model.Verification.Ok);
    }
}
