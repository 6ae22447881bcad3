using System.Text.Json;

namespace RunbookHost.Evidence;

/// <summary>Builds the v2 in-toto Statement payload of an evidence file from a <see cref="RunRecord"/> (docs/evidence.md).</summary>
internal static class EvidencePayload
{
    /// <summary>
    /// The payload bytes: deterministic (fixed member order, compact), so the same record, link and position always give
    /// the same bytes. <paramref name="previous"/> is the SHA-256 of the chain's preceding file (null for the first) and
    /// <paramref name="sequence"/> this file's 1-based position in its chain.
    /// </summary>
    public static byte[] Serialize(RunRecord record, string? previous, long sequence, TimeProvider time)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(sequence, 1);
        var finishedAt = record.FinishedAt == default ? time.GetUtcNow() : record.FinishedAt;
        return InTotoStatement.Write(Subjects(record), EvidenceFormat.PredicateTypeV2, w =>
        {
            w.WriteString("runbook", record.Runbook);
            w.WriteString("runbook_version", record.RunbookVersion);
            w.WriteString("scope", record.Scope);
            w.WriteString("tenant", record.Tenant);
            w.WriteStartObject("parameters");
            foreach (var (name, value) in record.Parameters.OrderBy(p => p.Key, StringComparer.Ordinal))
                w.WriteString(name, EvidenceFormat.LooksSecret(name) ? EvidenceFormat.Masked : value);
            w.WriteEndObject();
            w.WriteBoolean("dry_run", record.DryRun);
            w.WriteString("started_at", EvidenceFormat.FormatPayloadTimestamp(record.StartedAt));
            w.WriteString("finished_at", EvidenceFormat.FormatPayloadTimestamp(finishedAt));
            w.WriteString("host_version", record.HostVersion);
            w.WriteString("host_commit", record.HostCommit);
            w.WriteString("runbooks_commit", record.RunbooksCommit);
            w.WriteString("operator", record.Operator);
            WriteSteps(w, record.Steps);
            WriteChecks(w, record.Checks);
            w.WriteString("outcome", record.Outcome);
            w.WriteBoolean("overall_pass", record.OverallPass);
            WriteStrings(w, "incomplete", record.Incomplete);
            WriteStrings(w, "rolled_back", record.RolledBack);
            w.WriteString("error", record.Error);
            w.WritePropertyName("result");
            if (record.Result is null)
                w.WriteNullValue();
            else
                record.Result.WriteTo(w);
            w.WriteNumber("sequence", sequence);
            w.WriteString("previous", previous);
        });
    }

    /// <summary>The closure's files (runbook first, lock file last); just the runbook when the host knew no more.</summary>
    internal static IReadOnlyList<EvidenceSubject> Subjects(RunRecord record) =>
        record.Subjects.Count > 0 ? record.Subjects : [new EvidenceSubject(SubjectName(record.RunbookFile), record.RunbookSha256)];

    /// <summary>`runbooks/&lt;file&gt;`: the runbook's path relative to the runbooks folder.</summary>
    internal static string SubjectName(string runbookFile)
    {
        var file = runbookFile.Replace('\\', '/');
        return file.StartsWith("runbooks/", StringComparison.Ordinal) ? file : $"runbooks/{file.TrimStart('/')}";
    }

    private static void WriteSteps(Utf8JsonWriter w, IEnumerable<StepRecord> steps)
    {
        w.WriteStartArray("steps");
        foreach (var step in steps)
        {
            w.WriteStartObject();
            w.WriteString("name", step.Name);
            w.WriteString("status", step.Status);
            w.WriteNumber("duration_ms", step.DurationMs);
            w.WriteString("detail", step.Detail);
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }

    private static void WriteChecks(Utf8JsonWriter w, IEnumerable<CheckRecord> checks)
    {
        w.WriteStartArray("checks");
        foreach (var check in checks)
        {
            w.WriteStartObject();
            w.WriteString("store", check.Store);
            w.WriteString("test", check.Test);
            w.WriteString("result", check.Result);
            w.WriteString("status", check.Status);
            w.WriteBoolean("pass", check.Pass);
            w.WriteString("step", check.Step);
            w.WriteString("timestamp", EvidenceFormat.FormatPayloadTimestamp(check.Timestamp));
            w.WriteString("detail", check.Detail);
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }

    private static void WriteStrings(Utf8JsonWriter w, string name, IEnumerable<string> values)
    {
        w.WriteStartArray(name);
        foreach (var value in values)
            w.WriteStringValue(value);
        w.WriteEndArray();
    }
}
