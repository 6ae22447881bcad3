using System.Globalization;
using System.Text.Json;
using RunbookHost.Evidence;

namespace RunbookHost.Report;

/// <summary>
/// Reads what an evidence file claims, tolerantly: v1 (one subject, no scope/outcome/sequence/status/step) and v2 alike,
/// missing optional members defaulted. It checks nothing cryptographic: the verifier does that, and the report shows
/// both side by side. Nothing read here is trusted to be markup-safe; the writers escape it.
/// </summary>
public static class EvidenceFileReader
{
    /// <summary>Evidence files are small; anything larger is not one of ours and is not read into memory.</summary>
    public const long MaxFileBytes = 16 * 1024 * 1024;

    private const string PredicatePrefix = "https://runbook-host.dev/evidence/v";

    public static ReportRun Read(string folder, string relativePath, byte[] bytes)
    {
        using var envelope = JsonDocument.Parse(bytes);
        var root = envelope.RootElement;
        var payload = Convert.FromBase64String(Text(root, "payload") ?? throw new FormatException("no payload"));
        string? keyId = null;
        if (root.TryGetProperty("signatures", out var sigs) && sigs.ValueKind == JsonValueKind.Array && sigs.GetArrayLength() > 0
            && sigs[0].ValueKind == JsonValueKind.Object)
            keyId = Text(sigs[0], "keyid");

        using var statement = JsonDocument.Parse(payload);
        var s = statement.RootElement;
        var predicateType = Text(s, "predicateType") ?? "";
        if (!predicateType.StartsWith(PredicatePrefix, StringComparison.Ordinal)
            || !int.TryParse(predicateType.AsSpan(PredicatePrefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out var version))
            throw new FormatException("not a runbook-host evidence statement");
        if (!s.TryGetProperty("predicate", out var p) || p.ValueKind != JsonValueKind.Object)
            throw new FormatException("no predicate");
        var startedAt = Time(p, "started_at") ?? throw new FormatException("no started_at");
        var checks = Objects(p, "checks").Select(Check).ToList();
        var parameters = Parameters(p);
        var overallPass = p.TryGetProperty("overall_pass", out var op) && op.ValueKind == JsonValueKind.True;
        // v1 has no outcome: a run that did not pass, with no failed check but an unverified one, was incomplete.
        var outcome = Text(p, "outcome") is { } o && o is RunOutcomes.Passed or RunOutcomes.Failed or RunOutcomes.Incomplete ? o
            : overallPass ? RunOutcomes.Passed
            : checks.Any(c => c.Status == CheckStatus.Incomplete) && checks.All(c => c.Status != CheckStatus.Fail) ? RunOutcomes.Incomplete
            : RunOutcomes.Failed;

        return new ReportRun
        {
            Folder = folder,
            RelativePath = relativePath,
            Sha256 = EvidenceFormat.Sha256Hex(bytes),
            KeyId = keyId,
            FormatVersion = version,
            Runbook = Text(p, "runbook") ?? throw new FormatException("no runbook"),
            RunbookVersion = Text(p, "runbook_version") ?? "",
            Subjects = Subjects(s),
            Scope = Text(p, "scope") ?? (folder == EvidenceFormat.FleetScope ? EvidenceScopes.Fleet : EvidenceScopes.Tenant),
            StartedAt = startedAt,
            FinishedAt = Time(p, "finished_at"),
            Outcome = outcome,
            DryRun = p.TryGetProperty("dry_run", out var dry) && dry.ValueKind == JsonValueKind.True,
            HostVersion = Text(p, "host_version"),
            Operator = Text(p, "operator"),
            Sequence = p.TryGetProperty("sequence", out var seq) && seq.ValueKind == JsonValueKind.Number && seq.TryGetInt64(out var n) ? n : null,
            Error = Text(p, "error"),
            Parameters = parameters,
            FleetTenants = int.TryParse(parameters.GetValueOrDefault("tenants"), NumberStyles.None, CultureInfo.InvariantCulture, out var count) ? count
                : p.TryGetProperty("result", out var result) && result.ValueKind == JsonValueKind.Object && result.TryGetProperty("tenants", out var t)
                  && t.ValueKind == JsonValueKind.Number && t.TryGetInt32(out count) ? count : null,
            Incomplete = Strings(p, "incomplete"),
            Steps = Objects(p, "steps").Select(Step).ToList(),
            Checks = checks,
        };
    }

    private static List<EvidenceSubject> Subjects(JsonElement statement) =>
        Objects(statement, "subject")
            .Where(x => x.TryGetProperty("digest", out var d) && d.ValueKind == JsonValueKind.Object && Text(d, "sha256") is not null)
            .Select(x => new EvidenceSubject(Text(x, "name") ?? "", Text(x.GetProperty("digest"), "sha256")!.ToLowerInvariant()))
            .ToList();

    private static StepRecord Step(JsonElement x) =>
        new(Text(x, "name") ?? "", Text(x, "status") ?? "", x.TryGetProperty("duration_ms", out var ms) && ms.ValueKind == JsonValueKind.Number && ms.TryGetDouble(out var d) ? d : 0,
            Text(x, "detail"));

    private static CheckRecord Check(JsonElement x)
    {
        var result = Text(x, "result") ?? "";
        // v1 has no status: NOT_VERIFIED there already meant "could not be verified", i.e. incomplete.
        var status = Text(x, "status") is { } st && st is CheckStatus.Pass or CheckStatus.Fail or CheckStatus.Skipped or CheckStatus.Incomplete ? st
            : result == CheckRecord.NotVerified ? CheckStatus.Incomplete : null;
        return new CheckRecord(Text(x, "store") ?? "", Text(x, "test") ?? "", result, Time(x, "timestamp") ?? default,
            x.TryGetProperty("pass", out var pass) && pass.ValueKind == JsonValueKind.True, Text(x, "detail"), status)
        {
            Step = Text(x, "step"),
        };
    }

    private static Dictionary<string, string> Parameters(JsonElement p)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        if (p.TryGetProperty("parameters", out var ps) && ps.ValueKind == JsonValueKind.Object)
            foreach (var property in ps.EnumerateObject())
                result[property.Name] = property.Value.ValueKind == JsonValueKind.String ? property.Value.GetString()! : property.Value.GetRawText();
        return result;
    }

    private static List<string> Strings(JsonElement e, string name) =>
        Elements(e, name, JsonValueKind.String).Select(x => x.GetString()!).ToList();

    private static IEnumerable<JsonElement> Objects(JsonElement e, string name) => Elements(e, name, JsonValueKind.Object);

    private static IEnumerable<JsonElement> Elements(JsonElement e, string name, JsonValueKind kind) =>
        e.TryGetProperty(name, out var a) && a.ValueKind == JsonValueKind.Array ? a.EnumerateArray().Where(x => x.ValueKind == kind) : [];

    private static string? Text(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static DateTimeOffset? Time(JsonElement e, string name) =>
        DateTimeOffset.TryParse(Text(e, name), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var t)
            ? t
            : null;
}
