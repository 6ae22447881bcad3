using System.Text.Json;

namespace RunbookHost.Evidence;

/// <summary>
/// What verification and the writer read from an evidence file's payload (v1 or v2). <see cref="Sequence"/> is null
/// for v1 files, whose position in the chain is implied by their order.
/// </summary>
public sealed record EvidenceStatement(
    int Version, string Runbook, string Scope, string Tenant, DateTimeOffset StartedAt, DateTimeOffset FinishedAt,
    long? Sequence, string? Previous, IReadOnlyList<EvidenceSubject> Subjects)
{
    private static readonly string[] PredicateTypes = [EvidenceFormat.PredicateTypeV2, EvidenceFormat.PredicateTypeV1];
    private static readonly string[] Outcomes = [RunOutcomes.Passed, RunOutcomes.Failed, RunOutcomes.Incomplete];

    /// <summary>The statement, or null with <paramref name="problem"/> naming what makes it no runbook-host evidence.</summary>
    public static EvidenceStatement? Parse(byte[] payload, out string problem)
    {
        var predicate = InTotoStatement.ReadPredicate(payload, PredicateTypes, out var subjects, out var type, out problem);
        if (predicate is not { } p)
            return Bad(out problem, problem);
        if (!Json.TryString(p, "runbook", out var runbook) || !Json.TryString(p, "tenant", out var tenant))
            return Bad(out problem, "predicate runbook or tenant missing");
        if (!Json.TryTimestamp(p, "started_at", out var startedAt))
            return Bad(out problem, "predicate started_at missing or not a UTC timestamp");
        var finishedAt = Json.TryTimestamp(p, "finished_at", out var finished) ? finished : startedAt;
        if (!p.TryGetProperty("previous", out var previousElement))
            return Bad(out problem, "predicate previous missing");
        string? previous = null;
        if (Json.TryString(p, "previous", out var link) && EvidenceFormat.IsSha256Hex(link))
            previous = link;
        else if (previousElement.ValueKind != JsonValueKind.Null)
            return Bad(out problem, "predicate previous is neither null nor a sha256 hex digest");

        if (type == EvidenceFormat.PredicateTypeV1)
        {
            var v1Scope = tenant == EvidenceFormat.FleetScope ? EvidenceScopes.Fleet : EvidenceScopes.Tenant;
            return new EvidenceStatement(1, runbook, v1Scope, tenant, startedAt, finishedAt, null, previous, subjects);
        }
        if (!Json.TryString(p, "scope", out var scope) || scope is not (EvidenceScopes.Tenant or EvidenceScopes.Fleet))
            return Bad(out problem, "predicate scope is neither tenant nor fleet");
        if ((scope == EvidenceScopes.Fleet) != (tenant == EvidenceFormat.FleetScope))
            return Bad(out problem, $"predicate scope {scope} does not fit tenant {tenant}");
        if (!Json.TryLong(p, "sequence", out var sequence) || sequence < 1)
            return Bad(out problem, "predicate sequence missing or not a positive integer");
        if (!Json.TryString(p, "outcome", out var outcome) || !Outcomes.Contains(outcome))
            return Bad(out problem, "predicate outcome is not passed, failed or incomplete");
        if (!p.TryGetProperty("overall_pass", out var pass) || pass.ValueKind is not (JsonValueKind.True or JsonValueKind.False)
            || pass.GetBoolean() != (outcome == RunOutcomes.Passed))
            return Bad(out problem, "predicate overall_pass disagrees with outcome");
        return new EvidenceStatement(2, runbook, scope, tenant, startedAt, finishedAt, sequence, previous, subjects);
    }

    /// <summary>Best effort, no signature check: the statement inside an envelope's bytes, or null.</summary>
    internal static EvidenceStatement? TryRead(byte[] envelope) =>
        DsseEnvelope.Parse(envelope, out _) is { } parsed ? Parse(parsed.Payload, out _) : null;

    private static EvidenceStatement? Bad(out string problem, string why)
    {
        problem = $"payload is not a runbook-host in-toto Statement: {why}";
        return null;
    }
}
