using System.Text.Json;

namespace RunbookHost.Evidence;

/// <summary>
/// Writes in-toto Statement v1 payloads the way every runbook-host document is written: members in a fixed order
/// (`_type`, `subject`, `predicateType`, `predicate`), compact, non-ASCII escaped, so equal content gives equal bytes.
/// </summary>
internal static class InTotoStatement
{
    public static byte[] Write(IEnumerable<EvidenceSubject> subjects, string predicateType, Action<Utf8JsonWriter> writePredicate)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("_type", EvidenceFormat.StatementType);
            w.WriteStartArray("subject");
            foreach (var subject in subjects)
            {
                w.WriteStartObject();
                w.WriteString("name", subject.Name);
                w.WriteStartObject("digest");
                w.WriteString("sha256", subject.Sha256.ToLowerInvariant());
                w.WriteEndObject();
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteString("predicateType", predicateType);
            w.WriteStartObject("predicate");
            writePredicate(w);
            w.WriteEndObject();
            w.WriteEndObject();
        }
        return buffer.ToArray();
    }

    /// <summary>
    /// The statement's predicate when <paramref name="payload"/> is an in-toto Statement of <paramref name="predicateType"/>
    /// with at least one subject (name + sha256); otherwise null and <paramref name="problem"/> says why.
    /// </summary>
    public static JsonElement? ReadPredicate(byte[] payload, string predicateType, out List<EvidenceSubject> subjects, out string problem) =>
        ReadPredicate(payload, [predicateType], out subjects, out _, out problem);

    public static JsonElement? ReadPredicate(byte[] payload, IReadOnlyCollection<string> predicateTypes, out List<EvidenceSubject> subjects,
        out string predicateType, out string problem)
    {
        subjects = [];
        predicateType = "";
        problem = "";
        try
        {
            using var document = JsonDocument.Parse(payload);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                return Bad(out problem, "not a JSON object");
            if (!Json.TryString(root, "_type", out var type) || type != EvidenceFormat.StatementType)
                return Bad(out problem, $"_type is not {EvidenceFormat.StatementType}");
            if (!Json.TryString(root, "predicateType", out predicateType) || !predicateTypes.Contains(predicateType))
                return Bad(out problem, $"predicateType is not {string.Join(" or ", predicateTypes)}");
            if (!root.TryGetProperty("subject", out var subject) || subject.ValueKind != JsonValueKind.Array || subject.GetArrayLength() == 0)
                return Bad(out problem, "subject with a name and a sha256 digest missing");
            foreach (var item in subject.EnumerateArray())
            {
                if (!Json.TryString(item, "name", out var name) || !item.TryGetProperty("digest", out var digest)
                    || !Json.TryString(digest, "sha256", out var sha) || !EvidenceFormat.IsSha256Hex(sha))
                    return Bad(out problem, "subject with a name and a sha256 digest missing");
                subjects.Add(new EvidenceSubject(name, sha));
            }
            if (!root.TryGetProperty("predicate", out var predicate) || predicate.ValueKind != JsonValueKind.Object)
                return Bad(out problem, "predicate missing");
            return predicate.Clone();
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            return Bad(out problem, "payload is not valid JSON (or not UTF-8)");
        }
    }

    private static JsonElement? Bad(out string problem, string why)
    {
        problem = why;
        return null;
    }
}
