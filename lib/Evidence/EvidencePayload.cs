using System.Text.Json;

namespace RunbookHost.Evidence;

/// <summary>Builds and reads the in-toto Statement payload.</summary>
internal static class EvidencePayload
{
    public static byte[] Serialize(RunRecord record, string? previous, TimeProvider time)
    {
        var finishedAt = record.FinishedAt == default ? time.GetUtcNow() : record.FinishedAt;
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("_type", EvidenceFormat.StatementType);
            w.WriteStartArray("subject");
            w.WriteStartObject();
            w.WriteString("name", SubjectName(record.RunbookFile));
            w.WriteStartObject("digest");
            w.WriteString("sha256", record.RunbookSha256.ToLowerInvariant());
            w.WriteEndObject();
            w.WriteEndObject();
            w.WriteEndArray();
            w.WriteString("predicateType", EvidenceFormat.PredicateType);

            w.WriteStartObject("predicate");
            w.WriteString("runbook", record.Runbook);
            w.WriteString("runbook_version", record.RunbookVersion);
            w.WriteString("tenant", record.Tenant);
            w.WriteStartObject("parameters");
            foreach (var (name, value) in record.Parameters.OrderBy(p => p.Key, StringComparer.Ordinal))
                w.WriteString(name, EvidenceFormat.LooksSecret(name) ? EvidenceFormat.Masked : value);
            w.WriteEndObject();
            w.WriteBoolean("dry_run", record.DryRun);
            w.WriteString("started_at", EvidenceFormat.FormatPayloadTimestamp(record.StartedAt));
            w.WriteString("finished_at", EvidenceFormat.FormatPayloadTimestamp(finishedAt));
            w.WriteString("host_version", record.HostVersion);
            w.WriteString("operator", record.Operator);
            w.WriteStartArray("steps");
            foreach (var step in record.Steps)
            {
                w.WriteStartObject();
                w.WriteString("name", step.Name);
                w.WriteString("status", step.Status);
                w.WriteNumber("duration_ms", step.DurationMs);
                w.WriteString("detail", step.Detail);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteStartArray("checks");
            foreach (var check in record.Checks)
            {
                w.WriteStartObject();
                w.WriteString("store", check.Store);
                w.WriteString("test", check.Test);
                w.WriteString("result", check.Result);
                w.WriteString("timestamp", EvidenceFormat.FormatPayloadTimestamp(check.Timestamp));
                w.WriteBoolean("pass", check.Pass);
                w.WriteString("detail", check.Detail);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteBoolean("overall_pass", record.OverallPass);
            w.WriteStartArray("rolled_back");
            foreach (var step in record.RolledBack)
                w.WriteStringValue(step);
            w.WriteEndArray();
            w.WriteString("error", record.Error);
            w.WritePropertyName("result");
            if (record.Result is null)
                w.WriteNullValue();
            else
                record.Result.WriteTo(w);
            w.WriteString("previous", previous);
            w.WriteEndObject();

            w.WriteEndObject();
        }
        return buffer.ToArray();
    }

    /// <summary>`runbooks/&lt;file&gt;`: the runbook's path relative to the runbooks folder.</summary>
    internal static string SubjectName(string runbookFile)
    {
        var file = runbookFile.Replace('\\', '/');
        return file.StartsWith("runbooks/", StringComparison.Ordinal) ? file : $"runbooks/{file.TrimStart('/')}";
    }

    /// <summary>Best effort, no signature check: the writer only needs the head's start time.</summary>
    public static bool TryReadStartedAt(byte[] envelope, out DateTimeOffset startedAt)
    {
        startedAt = default;
        try
        {
            using var document = JsonDocument.Parse(envelope);
            var payload = Convert.FromBase64String(document.RootElement.GetProperty("payload").GetString() ?? "");
            using var statement = JsonDocument.Parse(payload);
            return EvidenceFormat.TryParsePayloadTimestamp(
                statement.RootElement.GetProperty("predicate").GetProperty("started_at").GetString(), out startedAt);
        }
        catch (Exception e) when (e is JsonException or FormatException or KeyNotFoundException or InvalidOperationException)
        {
            return false;
        }
    }

    public static bool TryParseFileTimestamp(ReadOnlySpan<char> text, out DateTimeOffset value) =>
        DateTimeOffset.TryParseExact(text, EvidenceFormat.FileTimestampFormat, System.Globalization.CultureInfo.InvariantCulture,
            System.Globalization.DateTimeStyles.AssumeUniversal | System.Globalization.DateTimeStyles.AdjustToUniversal, out value);

    public static DateTimeOffset ParseFileTimestamp(string text) =>
        TryParseFileTimestamp(text, out var value) ? value : throw new FormatException("not an evidence file timestamp");
}
