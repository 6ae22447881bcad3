using RunbookHost.Evidence;

namespace RunbookHost.Report;

/// <summary>A §9.2 check name: the matrix column.</summary>
public sealed record MatrixColumn(string Store, string Test, string Section);

/// <summary>One tenant × check: the check's status, result word and reason (several records of one check are merged, worst first).</summary>
public sealed record MatrixCell(string Status, string Result, string Detail);

/// <summary>A tenant's latest verify (null: none in the report's period) and its cells, aligned with the columns.</summary>
public sealed record MatrixRow(string Tenant, ReportRun? Latest, IReadOnlyList<MatrixCell?> Cells);

/// <summary>Tenants × checks from the latest verify of each tenant; columns grouped by store in order of appearance.</summary>
public sealed class CheckMatrix
{
    public const string VerifyRunbook = "verify";

    private CheckMatrix(IReadOnlyList<MatrixColumn> columns, IReadOnlyList<MatrixRow> rows)
    {
        Columns = columns;
        Rows = rows;
    }

    public IReadOnlyList<MatrixColumn> Columns { get; }
    public IReadOnlyList<MatrixRow> Rows { get; }

    public IReadOnlyList<string> Stores => Columns.Select(c => c.Store).Distinct(StringComparer.Ordinal).ToList();

    /// <summary>How many cells have each status (pass, fail, skipped, incomplete).</summary>
    public IReadOnlyDictionary<string, int> Counts() =>
        Rows.SelectMany(r => r.Cells).OfType<MatrixCell>()
            .GroupBy(c => c.Status, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);

    public static CheckMatrix Build(IEnumerable<(string Tenant, IReadOnlyList<ReportRun> Runs)> tenants)
    {
        var latest = tenants
            .Select(t => (t.Tenant, Latest: t.Runs.LastOrDefault(r => r.Runbook == VerifyRunbook && !r.DryRun)))
            .ToList();
        var index = new Dictionary<(string, string), int>();
        var columns = new List<MatrixColumn>();
        foreach (var run in latest.Select(l => l.Latest).OfType<ReportRun>())
            foreach (var check in run.Checks)
                if (index.TryAdd((check.Store, check.Test), columns.Count))
                    columns.Add(new MatrixColumn(check.Store, check.Test, CheckSections.Of(check, run.Steps)));

        var storeOrder = columns.Select(c => c.Store).Distinct(StringComparer.Ordinal).Select((s, i) => (s, i)).ToDictionary(x => x.s, x => x.i, StringComparer.Ordinal);
        var ordered = columns.Select((c, i) => (c, i)).OrderBy(x => storeOrder[x.c.Store]).ThenBy(x => x.i).ToList();
        var position = ordered.Select((x, newIndex) => (x.i, newIndex)).ToDictionary(x => x.i, x => x.newIndex);

        var rows = latest.Select(l =>
        {
            var cells = new MatrixCell?[columns.Count];
            foreach (var check in l.Latest?.Checks ?? [])
            {
                var at = position[index[(check.Store, check.Test)]];
                cells[at] = Merge(cells[at], new MatrixCell(check.Status, check.Result, check.Detail ?? ""));
            }
            return new MatrixRow(l.Tenant, l.Latest, cells);
        }).ToList();
        return new CheckMatrix(ordered.Select(x => x.c).ToList(), rows);
    }

    private static MatrixCell Merge(MatrixCell? existing, MatrixCell next)
    {
        if (existing is null)
            return next;
        var worst = Severity(next.Status) > Severity(existing.Status) ? next : existing;
        var detail = existing.Detail == next.Detail || next.Detail.Length == 0 ? existing.Detail : $"{existing.Detail}; {next.Detail}";
        return worst with { Detail = detail };
    }

    /// <summary>fail over incomplete over pass over skipped: a merged cell never looks better than its worst record.</summary>
    public static int Severity(string status) => status switch
    {
        CheckStatus.Fail => 3,
        CheckStatus.Incomplete => 2,
        CheckStatus.Pass => 1,
        _ => 0,
    };
}
