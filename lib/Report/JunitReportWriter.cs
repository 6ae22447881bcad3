using System.Globalization;
using System.Text;
using System.Xml;
using RunbookHost.Evidence;

namespace RunbookHost.Report;

/// <summary>
/// The latest verify of each tenant as JUnit XML for CI dashboards: one testsuite per tenant, one testcase per check.
/// fail → &lt;failure&gt; with the check's detail; incomplete → &lt;error type="incomplete"&gt; (the check could not be
/// carried out: never a pass, and not a finding either); skipped → &lt;skipped&gt;. Each suite starts with an
/// "evidence verifies" testcase: a failure when the evidence file did not verify, an error when the tenant has no verify.
/// </summary>
public static class JunitReportWriter
{
    public static void Write(Stream output, ReportModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var settings = new XmlWriterSettings { Encoding = new UTF8Encoding(false), Indent = true };
        using var w = XmlWriter.Create(output, settings);
        var suites = model.Matrix.Rows.Select(row => Suite.Of(model, row)).ToList();
        w.WriteStartDocument();
        w.WriteStartElement("testsuites");
        w.WriteAttributeString("name", "runbook-host isolation checks");
        Counts(w, suites.Sum(s => s.Cases.Count), suites.Sum(s => s.Count("failure")), suites.Sum(s => s.Count("error")), suites.Sum(s => s.Count("skipped")));
        w.WriteAttributeString("time", Seconds(suites.Sum(s => s.Run?.DurationMs ?? 0)));
        w.WriteAttributeString("timestamp", model.GeneratedAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture));
        foreach (var suite in suites)
            suite.WriteTo(w);
        w.WriteEndElement();
        w.WriteEndDocument();
    }

    private sealed record Case(string ClassName, string Name, string? Outcome, string Message, string Body);

    private sealed record Suite(string Tenant, ReportRun? Run, IReadOnlyList<Case> Cases)
    {
        public int Count(string outcome) => Cases.Count(c => c.Outcome == outcome);

        public static Suite Of(ReportModel model, MatrixRow row)
        {
            var cases = new List<Case>();
            if (row.Latest is not { } run)
            {
                cases.Add(new Case($"{row.Tenant}.evidence", "verify run exists", "error", "no verify run in the report's period", ""));
                return new Suite(row.Tenant, null, cases);
            }
            var verdict = model.VerdictOf(run);
            cases.Add(new Case($"{row.Tenant}.evidence", "evidence verifies", verdict?.Ok == true ? null : "failure",
                verdict?.Reason ?? "no verdict from the verifier", $"{run.RelativePath} sha256 {run.Sha256}"));
            for (var c = 0; c < model.Matrix.Columns.Count; c++)
            {
                if (row.Cells[c] is not { } cell)
                    continue;
                var column = model.Matrix.Columns[c];
                var outcome = cell.Status switch
                {
                    CheckStatus.Fail => "failure",
                    CheckStatus.Incomplete => "error",
                    CheckStatus.Skipped => "skipped",
                    _ => null,
                };
                cases.Add(new Case($"{row.Tenant}.{column.Store}", column.Test, outcome, $"{cell.Result}: {cell.Detail}",
                    $"{column.Section} · {cell.Detail}\nevidence {run.RelativePath} sha256 {run.Sha256}"));
            }
            return new Suite(row.Tenant, run, cases);
        }

        public void WriteTo(XmlWriter w)
        {
            w.WriteStartElement("testsuite");
            w.WriteAttributeString("name", Safe(Tenant));
            Counts(w, Cases.Count, Count("failure"), Count("error"), Count("skipped"));
            w.WriteAttributeString("time", Seconds(Run?.DurationMs ?? 0));
            if (Run is not null)
            {
                w.WriteAttributeString("timestamp", Run.StartedAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture));
                w.WriteAttributeString("file", Safe(Run.RelativePath));
                w.WriteStartElement("properties");
                Property(w, "evidence_file", Run.RelativePath);
                Property(w, "evidence_sha256", Run.Sha256);
                Property(w, "runbook", $"{Run.Runbook} {Run.RunbookVersion}");
                Property(w, "runbook_sha256", Run.Subjects.FirstOrDefault()?.Sha256 ?? "");
                w.WriteEndElement();
            }
            foreach (var c in Cases)
            {
                w.WriteStartElement("testcase");
                w.WriteAttributeString("classname", Safe(c.ClassName));
                w.WriteAttributeString("name", Safe(c.Name));
                w.WriteAttributeString("time", "0");
                if (c.Outcome is not null)
                {
                    w.WriteStartElement(c.Outcome);
                    w.WriteAttributeString("message", Safe(c.Message));
                    if (c.Outcome != "skipped")
                        w.WriteAttributeString("type", c.Outcome == "error" ? "incomplete" : "fail");
                    w.WriteString(Safe(c.Body));
                    w.WriteEndElement();
                }
                w.WriteEndElement();
            }
            w.WriteEndElement();
        }
    }

    private static void Property(XmlWriter w, string name, string value)
    {
        w.WriteStartElement("property");
        w.WriteAttributeString("name", name);
        w.WriteAttributeString("value", Safe(value));
        w.WriteEndElement();
    }

    private static void Counts(XmlWriter w, int tests, int failures, int errors, int skipped)
    {
        w.WriteAttributeString("tests", tests.ToString(CultureInfo.InvariantCulture));
        w.WriteAttributeString("failures", failures.ToString(CultureInfo.InvariantCulture));
        w.WriteAttributeString("errors", errors.ToString(CultureInfo.InvariantCulture));
        w.WriteAttributeString("skipped", skipped.ToString(CultureInfo.InvariantCulture));
    }

    private static string Seconds(double ms) => (ms / 1000).ToString("0.###", CultureInfo.InvariantCulture);

    /// <summary>XML 1.0 cannot carry most control characters; evidence text may hold any, so they become U+FFFD.</summary>
    private static string Safe(string text)
    {
        var builder = new StringBuilder(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
                builder.Append(text[i]).Append(text[++i]);
            else
                builder.Append(XmlConvert.IsXmlChar(text[i]) ? text[i] : '\uFFFD');
        }
        return builder.ToString();
    }
}
