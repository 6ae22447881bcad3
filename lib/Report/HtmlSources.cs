using System.Globalization;

namespace RunbookHost.Report;

/// <summary>
/// "Source beside evidence": every distinct file the report's verified runs compiled, once, with its exact text when
/// the runbooks folder holds a file with that SHA-256. Invisible and bidirectional control characters are shown as
/// visible marks, so a reviewer sees the code the compiler saw (Trojan Source, CVE-2021-42574).
/// </summary>
internal static class HtmlSources
{
    public static void Write(HtmlOutput html, ReportModel model)
    {
        var subjects = model.Tenants.SelectMany(t => t.Runs).Concat(model.Fleet)
            .Where(model.IsVerified)
            .SelectMany(run => run.Subjects.Select((s, i) => (Subject: s, Version: i == 0 ? run.RunbookVersion : model.Sources.VersionOf(s.Sha256))))
            .GroupBy(x => x.Subject.Sha256, StringComparer.Ordinal)
            .Select(g => (g.First().Subject, g.First().Version, Runs: g.Count()))
            .OrderBy(x => x.Subject.Name, StringComparer.Ordinal)
            .ToList();
        html.Raw("<section id=\"sources\"><h2>Source that ran</h2><p class=\"muted\">Every file the verified runs compiled, by SHA-256, looked up in ")
            .Text(model.Sources.Folder ?? "(no runbooks folder)")
            .Raw(". A text is shown only when a file there has exactly the hash the signed evidence names.</p>");
        if (subjects.Count == 0)
            html.Element("p", "muted", "No verified run in the report's period.");
        foreach (var (subject, version, runs) in subjects)
        {
            var (state, file) = model.Sources.Resolve(subject);
            html.Raw($"<details id=\"src-{subject.Sha256}\"><summary><code>").Text(subject.Name).Raw("</code> ")
                .Text(string.IsNullOrEmpty(version) ? "(no version)" : version).Raw(" <code class=\"muted\">sha256 ").Text(subject.Sha256).Raw("</code> ")
                .Text(string.Create(CultureInfo.InvariantCulture, $"· {runs} run{(runs == 1 ? "" : "s")} · "));
            switch (state)
            {
                case SourceState.Available:
                    var marks = CountMarks(file!.Text);
                    html.Element("span", "pass", file.Name == subject.Name ? "source shown" : $"source shown (found as {file.Name})");
                    if (marks > 0)
                        html.Element("span", "fail", $" · {marks} invisible or bidirectional control character(s), marked");
                    html.Raw("</summary><pre class=\"src\">");
                    WriteSource(html, file.Text);
                    html.Raw("</pre></details>");
                    break;
                case SourceState.Differs:
                    html.Element("span", "fail", "source differs from what ran").Raw("</summary><p>")
                        .Text($"{subject.Name} in the runbooks folder has another SHA-256: it changed since this ran.").Raw("</p></details>");
                    break;
                default:
                    html.Element("span", "i", "source not available").Raw("</summary><p>")
                        .Text("No file with this SHA-256 (or this name) in the runbooks folder.").Raw("</p></details>");
                    break;
            }
        }
        html.Raw("</section>");
    }

    private static void WriteSource(HtmlOutput html, string text)
    {
        var start = 0;
        for (var i = 0; i < text.Length; i++)
        {
            if (!IsHidden(text[i]))
                continue;
            html.Text(text[start..i]).Raw("<span class=\"bidi\">").Text($"\u27e8U+{(int)text[i]:X4}\u27e9").Raw("</span>");
            start = i + 1;
        }
        html.Text(text[start..]);
    }

    private static int CountMarks(string text) => text.Count(IsHidden);

    /// <summary>Bidirectional overrides and isolates, zero-width characters, the BOM mid-text, and C0 controls other than tab/newline.</summary>
    private static bool IsHidden(char c) =>
        c is >= '\u202A' and <= '\u202E' or >= '\u2066' and <= '\u2069' or >= '\u200B' and <= '\u200F' or '\uFEFF' or '\u061C'
        || (c < ' ' && c is not ('\t' or '\n' or '\r'));
}
