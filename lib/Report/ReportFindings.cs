using System.Globalization;
using RunbookHost.Evidence;

namespace RunbookHost.Report;

/// <summary>What needs the reader's attention, in words, most serious first: the top of every report.</summary>
public static class ReportFindings
{
    /// <summary>Evidence that cannot be trusted: failed verification, unreadable files, problems with no single file.</summary>
    public static IEnumerable<string> Verification(ReportModel model)
    {
        foreach (var problem in model.Verification.Problems)
            yield return problem;
        foreach (var file in model.Verification.Files.Where(f => !f.Ok))
            yield return $"{file.RelativePath}: {file.Reason}";
        foreach (var file in model.Unreadable)
            yield return $"{file.RelativePath}: {file.Reason}";
    }

    /// <summary>The latest state that is not a pass: failed or incomplete latest verifies, tenants never verified, fleet proofs that did not pass.</summary>
    public static IEnumerable<string> State(ReportModel model)
    {
        foreach (var row in model.Matrix.Rows)
        {
            if (row.Latest is not { } run)
            {
                yield return $"tenant {row.Tenant}: no verify run{Period(model)}";
                continue;
            }
            if (run.Outcome == RunOutcomes.Passed)
                continue;
            var bad = run.Checks.Where(c => c.Status is CheckStatus.Fail or CheckStatus.Incomplete).ToList();
            var what = bad.Count == 0 ? run.Error ?? string.Join("; ", run.Incomplete) : string.Join("; ", bad.Take(5).Select(Describe))
                + (bad.Count > 5 ? $"; and {bad.Count - 5} more" : "");
            yield return $"tenant {row.Tenant}: latest verify ({Day(run.StartedAt)}) {run.Outcome}: {what}";
        }
        foreach (var run in model.Fleet.Where(r => r.Outcome != RunOutcomes.Passed))
            yield return $"fleet-wide proof of {Day(run.StartedAt)} {run.Outcome}: {run.Error ?? string.Join("; ", run.Incomplete)}";
    }

    public static string Describe(CheckRecord check) =>
        $"{check.Store} {check.Test} {check.Status} ({check.Result}{(string.IsNullOrEmpty(check.Detail) ? "" : ": " + check.Detail)})";

    public static string Day(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture);

    private static string Period(ReportModel model) =>
        model.Options.Since is { } since ? $" since {since.UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)}" : " in the evidence";
}
