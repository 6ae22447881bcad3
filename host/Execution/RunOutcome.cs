using RunbookHost.Evidence;

namespace RunbookHost.Cli.Execution;

/// <summary>What a run produced: its outcome and exit code, the evidence file, and how the runbook was obtained.</summary>
internal sealed record RunOutcome(string Tenant, string Outcome, string? EvidenceFile, bool Compiled, bool CompilerLoaded, string? Error,
    IReadOnlyList<string> RolledBack, System.Text.Json.Nodes.JsonNode? Result, int? ExitCodeOverride = null)
{
    /// <summary>0 passed, 1 failed, 4 incomplete (README's exit-code table); a run refused before it started carries its own code.</summary>
    public int ExitCode => ExitCodeOverride ?? Outcome switch
    {
        RunOutcomes.Passed => ExitCodes.Success,
        RunOutcomes.Incomplete => ExitCodes.Incomplete,
        _ => ExitCodes.RunbookFailed,
    };

    /// <summary>A tenant whose run could not even start (lock held, evidence not writable): nothing was done.</summary>
    public static RunOutcome NotStarted(string tenant, int exitCode, string error) =>
        new(tenant, RunOutcomes.Failed, null, false, false, error, [], null, exitCode);

    /// <summary>The worst of several exit codes: failed before incomplete before passed.</summary>
    public static int Combine(IEnumerable<RunOutcome> outcomes)
    {
        var codes = outcomes.Select(o => o.ExitCode).ToList();
        return codes.Count == 0 ? ExitCodes.Success
            : codes.Any(c => c is ExitCodes.RunbookFailed or ExitCodes.UsageError or ExitCodes.VerificationFailed) ? codes.First(c => c is ExitCodes.RunbookFailed or ExitCodes.UsageError or ExitCodes.VerificationFailed)
            : codes.Contains(ExitCodes.Incomplete) ? ExitCodes.Incomplete
            : ExitCodes.Success;
    }
}
