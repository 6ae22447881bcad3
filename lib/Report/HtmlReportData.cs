using System.Text.Encodings.Web;
using System.Text.Json;
using RunbookHost.Evidence;

namespace RunbookHost.Report;

/// <summary>
/// The page's data block: the matrix and every run as compact JSON, read by the inline script. Written with the default
/// JavaScript encoder, which escapes &lt; &gt; &amp; ' " and every non-ASCII character, so no evidence text can close
/// the script element or start markup.
/// </summary>
internal static class HtmlReportData
{
    public const string RotationRunbook = "rotate-keys";

    public static void Write(Stream output, ReportModel model)
    {
        var strings = new StringTable();
        using var w = new Utf8JsonWriter(output, new JsonWriterOptions { Encoder = JavaScriptEncoder.Default });
        w.WriteStartObject();
        w.WriteStartArray("columns");
        foreach (var column in model.Matrix.Columns)
        {
            w.WriteStartObject();
            w.WriteString("store", column.Store);
            w.WriteString("test", column.Test);
            w.WriteString("section", column.Section);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteStartArray("stores");
        foreach (var store in model.Matrix.Stores)
            w.WriteStringValue(store);
        w.WriteEndArray();
        WriteTenants(w, model, strings);
        w.WriteStartArray("runs");
        foreach (var (_, runs) in model.Tenants)
            for (var i = 0; i < runs.Count; i++)
                WriteRun(w, model, runs[i], i == 0 ? null : runs[i - 1], strings);
        w.WriteEndArray();
        w.WriteStartArray("strings");
        foreach (var s in strings.Strings)
            w.WriteStringValue(s);
        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static void WriteTenants(Utf8JsonWriter w, ReportModel model, StringTable strings)
    {
        w.WriteStartArray("tenants");
        var start = 0;
        foreach (var (row, (_, runs)) in model.Matrix.Rows.Zip(model.Tenants))
        {
            w.WriteStartObject();
            w.WriteString("id", row.Tenant);
            w.WriteString("cells", string.Concat(row.Cells.Select(c => c is null ? '-' : Letter(c.Status))));
            w.WriteStartArray("r");
            foreach (var cell in row.Cells)
                w.WriteNumberValue(strings[cell?.Result]);
            w.WriteEndArray();
            w.WriteStartArray("dt");
            foreach (var cell in row.Cells)
                w.WriteNumberValue(strings[cell?.Detail]);
            w.WriteEndArray();
            var latest = row.Latest is null ? -1 : start + IndexOf(runs, row.Latest);
            w.WriteNumber("latest", latest);
            if (row.Latest is { } run && !model.IsVerified(run))
            {
                w.WriteNumber("bad", 1);
                w.WriteNumber("why", strings[model.VerdictOf(run)?.Reason ?? "no verdict from the verifier"]);
            }
            w.WriteStartArray("runs");
            w.WriteNumberValue(start);
            w.WriteNumberValue(runs.Count);
            w.WriteEndArray();
            w.WriteEndObject();
            start += runs.Count;
        }
        w.WriteEndArray();
    }

    private static int IndexOf(IReadOnlyList<ReportRun> runs, ReportRun run)
    {
        for (var i = runs.Count - 1; i >= 0; i--)
            if (ReferenceEquals(runs[i], run))
                return i;
        return -1;
    }

    private static void WriteRun(Utf8JsonWriter w, ReportModel model, ReportRun run, ReportRun? previous, StringTable strings)
    {
        var verified = model.IsVerified(run);
        w.WriteStartObject();
        w.WriteString("f", run.RelativePath);
        w.WriteString("h", run.Sha256);
        w.WriteNumber("rb", strings[run.Runbook]);
        w.WriteNumber("v", strings[run.RunbookVersion]);
        w.WriteString("t", run.StartedAt.UtcDateTime.ToString("O", System.Globalization.CultureInfo.InvariantCulture));
        if (run.DurationMs is { } ms) w.WriteNumber("d", Math.Round(ms, 1)); else w.WriteNull("d");
        w.WriteString("o", run.Outcome);
        w.WriteNumber("ok", verified ? 1 : 0);
        if (!verified) w.WriteNumber("why", strings[model.VerdictOf(run)?.Reason ?? "no verdict from the verifier"]);
        if (run.DryRun) w.WriteNumber("dry", 1);
        if (run.Error is not null) w.WriteNumber("e", strings[run.Error]);
        if (run.Runbook == RotationRunbook) w.WriteNumber("rot", strings[run.Parameters.GetValueOrDefault("reason")]);
        if (previous is not null && previous.KeyId != run.KeyId) w.WriteNumber("kc", 1);
        w.WriteStartArray("inc");
        foreach (var reason in run.Incomplete) w.WriteNumberValue(strings[reason]);
        w.WriteEndArray();
        w.WriteStartArray("p");
        foreach (var (name, value) in run.Parameters.OrderBy(p => p.Key, StringComparer.Ordinal))
            Row(w, strings[name], strings[value]);
        w.WriteEndArray();
        w.WriteStartArray("s");
        foreach (var step in run.Steps)
            Row(w, strings[step.Name], strings[step.Status], Math.Round(step.DurationMs, 1), strings[step.Detail]);
        w.WriteEndArray();
        w.WriteStartArray("c");
        foreach (var status in (string[])[CheckStatus.Pass, CheckStatus.Fail, CheckStatus.Skipped, CheckStatus.Incomplete])
            w.WriteNumberValue(run.Checks.Count(c => c.Status == status));
        w.WriteEndArray();
        // Checks that passed are counted, not listed: the matrix shows the latest in full and the evidence file has the rest.
        w.WriteStartArray("x");
        foreach (var c in run.Checks.Where(c => c.Status is not CheckStatus.Pass))
            Row(w, strings[c.Store], strings[c.Test], strings[c.Result], strings[c.Status], strings[c.Detail], strings[CheckSections.Of(c, run.Steps)]);
        w.WriteEndArray();
        w.WriteStartArray("u");
        for (var i = 0; i < run.Subjects.Count; i++)
        {
            var subject = run.Subjects[i];
            var (state, _) = model.Sources.Resolve(subject);
            var version = i == 0 ? run.RunbookVersion : model.Sources.VersionOf(subject.Sha256);
            w.WriteStartArray();
            w.WriteNumberValue(strings[subject.Name]);
            w.WriteNumberValue(strings[subject.Sha256]);
            w.WriteNumberValue(strings[version]);
            w.WriteStringValue(!verified ? "x" : state switch { SourceState.Available => "a", SourceState.Differs => "d", _ => "n" });
            w.WriteEndArray();
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static void Row(Utf8JsonWriter w, params double[] values)
    {
        w.WriteStartArray();
        foreach (var v in values)
            w.WriteNumberValue(v);
        w.WriteEndArray();
    }

    public static char Letter(string status) => status switch
    {
        CheckStatus.Pass => 'p',
        CheckStatus.Fail => 'f',
        CheckStatus.Skipped => 's',
        CheckStatus.Incomplete => 'i',
        _ => '-',
    };
}
