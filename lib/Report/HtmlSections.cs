using System.Globalization;
using RunbookHost.Evidence;

namespace RunbookHost.Report;

/// <summary>The report's static sections, rendered server-side so they read the same with or without the script.</summary>
internal static class HtmlSections
{
    private const int MaxListed = 200;

    public static void Verification(HtmlOutput html, ReportModel model)
    {
        var v = model.Verification;
        var failures = ReportFindings.Verification(model).ToList();
        html.Raw("<section id=\"verification\">");
        if (failures.Count == 0 && v.Ok)
        {
            html.Raw("<div class=\"banner ok\"><strong>").Text($"Verified: all {v.Files.Count} evidence files").Raw("</strong><div>")
                .Text($"Signatures by pinned keys, chains and chain heads check out ({Keys(v)}); {v.RegistryCheck}.").Raw("</div></div>");
        }
        else
        {
            var bad = v.Files.Where(f => !f.Ok).Select(f => f.RelativePath).Union(model.Unreadable.Select(u => u.RelativePath), StringComparer.Ordinal).Count();
            html.Raw("<div class=\"banner fail\"><strong>").Text($"VERIFICATION FAILED: {bad} of {v.Files.Count} evidence files do not verify"
                + (v.Problems.Count > 0 ? $", {v.Problems.Count} other problem(s)" : "")).Raw("</strong><div>")
                .Text($"What they claim is shown below but cannot be relied on; {v.RegistryCheck}. In words:").Raw("</div>")
                .List(failures, MaxListed, "and {0} more").Raw("</div>");
        }
        html.Raw("</section>\n");
    }

    public static void Attention(HtmlOutput html, ReportModel model)
    {
        var state = ReportFindings.State(model).ToList();
        html.Raw("<section id=\"attention\">");
        if (state.Count == 0)
            html.Raw("<div class=\"banner ok\">").Text("Every tenant's latest verify passed, and every fleet-wide proof in the period passed.").Raw("</div>");
        else
            html.Raw("<div class=\"banner fail\"><strong>").Text($"{state.Count} finding(s) in the latest results").Raw("</strong>")
                .List(state, MaxListed, "and {0} more: filter the matrix by status").Raw("</div>");
        html.Raw("</section>\n");
    }

    public static void Summary(HtmlOutput html, ReportModel model)
    {
        var counts = model.Matrix.Counts();
        int Count(string s) => counts.GetValueOrDefault(s);
        var total = counts.Values.Sum();
        var verified = model.Matrix.Rows.Count(r => r.Latest is not null);
        html.Raw("<section id=\"summary\"><h2>Latest verify of each tenant</h2><p class=\"counts\">")
            .Element("span", null, $"{model.Matrix.Rows.Count} tenants ({verified} with a verify run)")
            .Element("span", null, $"{model.Matrix.Columns.Count} checks")
            .Element("span", null, $"{total} results:")
            .Element("span", "pass", $"{Count(CheckStatus.Pass)} pass")
            .Element("span", "fail", $"{Count(CheckStatus.Fail)} fail")
            .Element("span", "skipped", $"{Count(CheckStatus.Skipped)} skipped")
            .Element("span", "incomplete", $"{Count(CheckStatus.Incomplete)} incomplete")
            .Raw("</p></section>\n");
    }

    public static void Matrix(HtmlOutput html) =>
        html.Raw("""
            <section id="matrix"><h2>Tenants × checks</h2>
            <div class="filters"><select id="f-store" aria-label="store"><option value="">all stores</option></select>
            <select id="f-status" aria-label="status"><option value="">any status</option><option value="problem">not passing</option>
            <option value="f">with a fail</option><option value="i">with an incomplete</option><option value="s">with a skipped</option><option value="p">with a pass</option></select>
            <input id="f-tenant" placeholder="tenant" aria-label="tenant"><input id="f-search" placeholder="search checks, results, reasons" aria-label="search" size="32">
            <span id="f-count" class="muted"></span></div>
            <noscript><p class="fail">The matrix and the timelines need JavaScript (inline, no network); the sections above and below do not.</p></noscript>
            <div id="grid"><div id="grid-head"></div><div id="grid-body"></div></div>
            <div id="cell-detail" class="panel" hidden></div>
            <p class="muted">✓ pass · ✗ fail · – skipped (the tenant does not have it) · ? incomplete (could not be verified) · hatched: that evidence failed verification. Click a tenant for its timeline, a cell for its reason.</p>
            </section>

            """);

    public static void Fleet(HtmlOutput html, ReportModel model)
    {
        html.Raw("<section id=\"fleet\"><h2>Fleet-wide proof, night by night</h2>");
        if (model.Fleet.Count == 0)
        {
            html.Element("p", "muted", "No fleet-wide proof in the period (evidence/_fleet).").Raw("</section>\n");
            return;
        }
        html.Raw("<table class=\"t\"><tr><th>night (UTC)</th><th>started</th><th>result</th><th>tenants</th><th>checks p/f/s/i</th><th>evidence</th><th>not passing</th></tr>");
        foreach (var run in model.Fleet.OrderByDescending(r => r.StartedAt))
        {
            int N(string s) => run.Checks.Count(c => c.Status == s);
            var verdict = model.VerdictOf(run);
            html.Raw("<tr>").Element("td", null, run.StartedAt.UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture))
                .Element("td", null, run.StartedAt.UtcDateTime.ToString("HH:mm:ss", CultureInfo.InvariantCulture))
                .Element("td", run.Outcome, run.Outcome)
                .Element("td", null, run.FleetTenants?.ToString(CultureInfo.InvariantCulture) ?? "")
                .Element("td", null, string.Create(CultureInfo.InvariantCulture, $"{N(CheckStatus.Pass)}/{N(CheckStatus.Fail)}/{N(CheckStatus.Skipped)}/{N(CheckStatus.Incomplete)}"))
                .Raw("<td><code>").Text(run.FileName).Raw("</code> ")
                .Element("span", verdict?.Ok == true ? "pass" : "fail", verdict?.Ok == true ? "verified" : $"FAILED VERIFICATION: {verdict?.Reason ?? "no verdict"}")
                .Raw("</td><td>");
            var bad = run.Checks.Where(c => c.Status is CheckStatus.Fail or CheckStatus.Incomplete).ToList();
            if (bad.Count > 0)
                html.List(bad.Select(ReportFindings.Describe), 20, "and {0} more");
            else if (run.Error is not null)
                html.Text(run.Error);
            html.Raw("</td></tr>");
        }
        html.Raw("</table></section>\n");
    }

    public static void Footer(HtmlOutput html, ReportModel model)
    {
        html.Raw("<footer><div>").Text($"Key fingerprint(s) that verified: {Keys(model.Verification)}").Raw("</div><div>")
            .Text($"Generated {HtmlReportWriter.Stamp(model.GeneratedAt)} by runbook-host {model.Options.HostVersion}; source looked up in {model.Sources.Folder}.")
            .Raw("</div><div>").Text("This file is self-contained: it loads nothing from any network, and its Content-Security-Policy forbids it to.")
            .Raw("</div></footer>");
    }

    private static string Keys(ReportVerification v) =>
        v.Keys.Count == 0 ? "none verified any file" : string.Join("; ", v.Keys.Select(k => $"{k.Fingerprint} (pinned by {k.Source}; {k.Files} file(s))"));
}
