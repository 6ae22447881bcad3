using System.Text.Json.Nodes;
using RunbookHost.Evidence;
using Spectre.Console;

namespace RunbookHost.Cli.Execution;

/// <summary>The closing summary of a run over several tenants: a table on a terminal, plain lines on a pipe, one JSON object with --json.</summary>
internal static class FleetReport
{
    public static void Write(IReadOnlyList<RunOutcome> outcomes, bool json)
    {
        var tenants = outcomes.Where(o => o.Tenant != EvidenceFormat.FleetScope).ToList();
        var proof = outcomes.FirstOrDefault(o => o.Tenant == EvidenceFormat.FleetScope);
        int Count(string outcome) => tenants.Count(o => Result(o) == outcome || (outcome == RunOutcomes.Failed && o.ExitCodeOverride is not null));
        if (json)
        {
            var report = new JsonObject
            {
                ["tenants"] = tenants.Count,
                ["passed"] = Count(RunOutcomes.Passed),
                ["failed"] = Count(RunOutcomes.Failed),
                ["incomplete"] = Count(RunOutcomes.Incomplete),
                ["fleet_proof"] = proof is null ? null : Result(proof),
                ["exit_code"] = RunOutcome.Combine(outcomes),
                ["runs"] = new JsonArray(outcomes.Select(o => (JsonNode?)RunbookRunner.ToJson(o)).ToArray()),
            };
            Console.Out.WriteLine(report.ToJsonString(new() { WriteIndented = true }));
            return;
        }
        var summary = $"{tenants.Count} tenants: {Count(RunOutcomes.Passed)} passed, {Count(RunOutcomes.Failed)} failed, {Count(RunOutcomes.Incomplete)} incomplete"
            + (proof is null ? "" : $"; fleet-wide proof {Result(proof)}" + (proof.Error is null ? "" : $" ({proof.Error})"));
        if (!Console.IsOutputRedirected)
        {
            var table = new Table().AddColumns("TENANT", "RESULT", "DETAIL");
            foreach (var outcome in outcomes)
                table.AddRow(Markup.Escape(outcome.Tenant), Markup.Escape(Result(outcome)), Markup.Escape(outcome.Error ?? outcome.EvidenceFile ?? ""));
            AnsiConsole.Write(table);
            Console.Out.WriteLine(summary);
            return;
        }
        var width = Math.Max(6, outcomes.Select(o => o.Tenant.Length).DefaultIfEmpty(0).Max());
        Console.Out.WriteLine($"{"TENANT".PadRight(width)}  {"RESULT",-10}  DETAIL");
        foreach (var outcome in outcomes)
            Console.Out.WriteLine($"{outcome.Tenant.PadRight(width)}  {Result(outcome),-10}  {outcome.Error ?? outcome.EvidenceFile}");
        Console.Out.WriteLine(summary);
    }

    /// <summary>passed, failed, incomplete, or "refused" for a run that could not start (nothing done).</summary>
    public static string Result(RunOutcome outcome) => outcome.ExitCodeOverride is not null ? "refused" : outcome.Outcome;
}
