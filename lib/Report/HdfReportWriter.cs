using System.Globalization;
using System.Text;
using System.Text.Json;
using RunbookHost.Evidence;

namespace RunbookHost.Report;

/// <summary>
/// The latest verify of each tenant as a MITRE Heimdall Data Format (HDF) exec-json document: one profile, one control
/// per §9.2 check (its spec section as a tag), one result per tenant carrying the evidence file and its SHA-256, plus
/// an "evidence" control saying per tenant whether that file verified. Statuses: pass → passed, fail → failed,
/// skipped → skipped, incomplete → error (Heimdall: "Profile Error", never a pass); a result from evidence that failed
/// verification is an error too, whatever it claims.
/// </summary>
public static class HdfReportWriter
{
    public const string ProfileName = "runbook-host-isolation";
    public const string EvidenceControl = "evidence-integrity";

    public static void Write(Stream output, ReportModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        using var w = new Utf8JsonWriter(output);
        w.WriteStartObject();
        w.WriteStartObject("platform");
        w.WriteString("name", "runbook-host");
        w.WriteString("release", model.Options.HostVersion);
        w.WriteString("target_id", model.Options.EvidenceRoot);
        w.WriteEndObject();
        w.WriteString("version", model.Options.HostVersion);
        w.WriteStartObject("statistics");
        w.WriteNumber("duration", Math.Round(model.Matrix.Rows.Sum(r => r.Latest?.DurationMs ?? 0) / 1000, 3));
        w.WriteEndObject();
        w.WriteStartArray("profiles");
        WriteProfile(w, model);
        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static void WriteProfile(Utf8JsonWriter w, ReportModel model)
    {
        var runbooks = model.Matrix.Rows.Select(r => r.Latest).OfType<ReportRun>()
            .Select(r => (r.RunbookVersion, Sha: r.Subjects.FirstOrDefault()?.Sha256 ?? ""))
            .Distinct().OrderBy(x => x.RunbookVersion, StringComparer.Ordinal).ThenBy(x => x.Sha, StringComparer.Ordinal).ToList();
        w.WriteStartObject();
        w.WriteString("name", ProfileName);
        w.WriteString("title", "runbook-host isolation checks (spec §9.2), latest verify of each tenant");
        w.WriteString("version", string.Join(", ", runbooks.Select(r => r.RunbookVersion).Distinct()));
        w.WriteString("sha256", runbooks.Count == 1 ? runbooks[0].Sha
            : EvidenceFormat.Sha256Hex(Encoding.UTF8.GetBytes(string.Join("\n", runbooks.Select(r => r.Sha)))));
        w.WriteString("summary", runbooks.Count == 1
            ? $"runbooks/verify.csx {runbooks[0].RunbookVersion}, sha256 {runbooks[0].Sha}"
            : $"several verify runbooks ran (sha256 above is over their sorted hashes): {string.Join("; ", runbooks.Select(r => $"{r.RunbookVersion} sha256 {r.Sha}"))}");
        w.WriteString("status", "loaded");
        w.WriteStartArray("supports");
        w.WriteEndArray();
        w.WriteStartArray("attributes");
        w.WriteEndArray();
        w.WriteStartArray("groups");
        foreach (var store in model.Matrix.Stores)
        {
            w.WriteStartObject();
            w.WriteString("id", store);
            w.WriteString("title", store);
            w.WriteStartArray("controls");
            foreach (var column in model.Matrix.Columns.Where(c => c.Store == store))
                w.WriteStringValue(ControlId(column));
            w.WriteEndArray();
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteStartArray("controls");
        WriteEvidenceControl(w, model);
        for (var c = 0; c < model.Matrix.Columns.Count; c++)
            WriteCheckControl(w, model, c);
        w.WriteEndArray();
        w.WriteEndObject();
    }

    public static string ControlId(MatrixColumn column) => $"{column.Store}/{column.Test}";

    private static void WriteCheckControl(Utf8JsonWriter w, ReportModel model, int c)
    {
        var column = model.Matrix.Columns[c];
        StartControl(w, ControlId(column), $"{column.Store}: {column.Test}",
            $"§9.2 check {column.Test} of store {column.Store}, from each tenant's latest verify run.", column.Section, column.Store);
        foreach (var row in model.Matrix.Rows)
        {
            if (row.Latest is not { } run || row.Cells[c] is not { } cell)
                continue;
            var (status, message) = model.IsVerified(run)
                ? (Status(cell.Status), cell.Status == CheckStatus.Incomplete ? $"incomplete: {cell.Detail}" : cell.Detail)
                : ("error", $"evidence failed verification: {model.VerdictOf(run)?.Reason ?? "no verdict"}; it claimed {cell.Status} ({cell.Result})");
            WriteResult(w, row.Tenant, run, status, $"tenant {row.Tenant}: {column.Store} {column.Test} is {cell.Result}", message);
        }
        EndControl(w);
    }

    private static void WriteEvidenceControl(Utf8JsonWriter w, ReportModel model)
    {
        StartControl(w, EvidenceControl, "evidence: each tenant's latest verify is signed, chained and verifies",
            "The signed evidence file behind each tenant's results verifies (signature, trusted key, chain).", "§9.3", "evidence");
        foreach (var row in model.Matrix.Rows)
        {
            if (row.Latest is not { } run)
            {
                w.WriteStartObject();
                w.WriteString("status", "error");
                w.WriteString("code_desc", $"tenant {row.Tenant}: no verify run in the report's period");
                w.WriteString("start_time", model.GeneratedAt.UtcDateTime.ToString("O", CultureInfo.InvariantCulture));
                w.WriteString("resource_id", row.Tenant);
                w.WriteEndObject();
                continue;
            }
            var verdict = model.VerdictOf(run);
            WriteResult(w, row.Tenant, run, verdict?.Ok == true ? "passed" : "failed", $"tenant {row.Tenant}: {run.RelativePath} verifies",
                verdict?.Reason ?? "no verdict from the verifier");
        }
        EndControl(w);
    }

    private static void StartControl(Utf8JsonWriter w, string id, string title, string desc, string section, string store)
    {
        w.WriteStartObject();
        w.WriteString("id", id);
        w.WriteString("title", title);
        w.WriteString("desc", desc);
        w.WriteNumber("impact", 0.7);
        w.WriteStartArray("refs");
        w.WriteEndArray();
        w.WriteStartObject("tags");
        w.WriteString("section", section);
        w.WriteString("store", store);
        w.WriteStartArray("nist");
        foreach (var control in store == EncryptionStore ? EncryptionNist : store == "evidence" ? EvidenceNist : IsolationNist)
            w.WriteStringValue(control);
        w.WriteEndArray();
        w.WriteEndObject();
        w.WriteStartObject("source_location");
        w.WriteString("ref", "runbooks/verify.csx");
        w.WriteEndObject();
        w.WriteStartArray("results");
    }

    private static void EndControl(Utf8JsonWriter w)
    {
        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static void WriteResult(Utf8JsonWriter w, string tenant, ReportRun run, string status, string codeDesc, string message)
    {
        w.WriteStartObject();
        w.WriteString("status", status);
        w.WriteString("code_desc", codeDesc);
        w.WriteString("start_time", run.StartedAt.UtcDateTime.ToString("O", CultureInfo.InvariantCulture));
        if (run.DurationMs is { } ms) w.WriteNumber("run_time", Math.Round(ms / 1000, 3));
        w.WriteString(status == "skipped" ? "skip_message" : "message", message);
        if (status == "error") w.WriteString("exception", message.StartsWith("evidence", StringComparison.Ordinal) ? "unverified evidence" : "incomplete");
        w.WriteString("resource", "tenant");
        w.WriteString("resource_id", tenant);
        w.WriteString("evidence_file", run.RelativePath);
        w.WriteString("evidence_sha256", run.Sha256);
        w.WriteEndObject();
    }

    private static string Status(string checkStatus) => checkStatus switch
    {
        CheckStatus.Pass => "passed",
        CheckStatus.Fail => "failed",
        CheckStatus.Skipped => "skipped",
        _ => "error",
    };

    private const string EncryptionStore = "encryption";
    /// <summary>runbook-host's mapping to NIST SP 800-53 (Heimdall groups results by these): separation of tenants' data.</summary>
    private static readonly string[] IsolationNist = ["AC-3", "AC-4", "SC-4"];
    private static readonly string[] EncryptionNist = ["SC-12", "SC-28"];
    private static readonly string[] EvidenceNist = ["AU-9", "AU-10"];
}
