using System.Globalization;
using System.Text;

namespace RunbookHost.Report;

/// <summary>
/// The auditor's report as one self-contained HTML file: verification first, then what needs attention, the tenants ×
/// checks matrix, a tenant's timeline, the fleet-wide proofs, the source that ran, and a footer with the trusted keys.
/// Static sections are rendered here; the matrix and timelines are drawn by the inline script from the data block.
/// </summary>
public static class HtmlReportWriter
{
    public static void Write(Stream output, ReportModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var writer = new StreamWriter(output, new UTF8Encoding(false), 1 << 16, leaveOpen: true);
        var html = new HtmlOutput(writer);
        html.Raw("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<meta http-equiv=\"Content-Security-Policy\" content=\"")
            .Text(HtmlAssets.ContentSecurityPolicy)
            .Raw("\">\n<meta name=\"referrer\" content=\"no-referrer\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>")
            .Text($"runbook-host evidence report {Stamp(model.GeneratedAt)}").Raw("</title>\n<style>").Raw(HtmlAssets.Style).Raw("</style></head>\n<body>\n");
        html.Raw("<header><h1>Evidence report</h1><p class=\"muted\">").Text(Scope(model)).Raw("</p></header>\n");
        HtmlSections.Verification(html, model);
        HtmlSections.Attention(html, model);
        HtmlSections.Summary(html, model);
        HtmlSections.Matrix(html);
        html.Raw("<section id=\"tenant\" hidden></section>\n");
        HtmlSections.Fleet(html, model);
        HtmlSources.Write(html, model);
        HtmlSections.Footer(html, model);
        html.Raw("\n<script type=\"application/json\" id=\"report-data\">");
        writer.Flush();
        HtmlReportData.Write(output, model);
        html.Raw("</script>\n<script>").Raw(HtmlAssets.Script).Raw("</script>\n</body></html>\n");
        writer.Flush();
    }

    internal static string Stamp(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture);

    private static string Scope(ReportModel model)
    {
        var o = model.Options;
        var parts = new List<string> { $"evidence folder {o.EvidenceRoot}" };
        parts.Add(o.Tenants is null ? $"{model.Tenants.Count} tenant(s)" : $"tenants {string.Join(", ", o.Tenants)}");
        if (o.Since is { } since)
            parts.Add($"runs since {Stamp(since)}");
        parts.Add($"{model.RunCount} run(s) shown, {model.Verification.Files.Count} file(s) verified");
        return string.Join(" · ", parts);
    }
}
