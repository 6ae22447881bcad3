using System.Globalization;
using RunbookHost.Registry;

namespace RunbookHost.Evidence;

/// <summary>
/// Cross-checks the evidence tree against the registry's runbook_runs (every run is recorded before it acts and again
/// with its file's SHA-256 after): a recorded file that is absent or changed, recorded files missing at a chain's end,
/// a whole chain folder missing, a file the registry never recorded, and a run that never recorded evidence.
/// </summary>
internal static class EvidenceRegistryCheck
{
    public static void Check(string root, IReadOnlyDictionary<string, IReadOnlyList<CheckedFile>> filesByChain, IReadOnlyList<RunRow> runs,
        string? onlyChain, DateTimeOffset now, TimeSpan runningGrace, EvidenceReport report)
    {
        var rowsByChain = new Dictionary<string, List<RunRow>>(StringComparer.Ordinal);
        foreach (var row in runs)
        {
            var chain = row.Scope == EvidenceScopes.Fleet ? EvidenceFormat.FleetScope : row.TenantId ?? "";
            if (!EvidenceFormat.IsChainName(chain))
                report.Skipped.Add(($"registry run {row.Id}", $"scope {row.Scope} with tenant {row.TenantId ?? "null"} names no chain"));
            else
                (rowsByChain.TryGetValue(chain, out var list) ? list : rowsByChain[chain] = []).Add(row);
        }
        var chains = onlyChain is not null ? [onlyChain] : rowsByChain.Keys.Union(filesByChain.Keys).Order(StringComparer.Ordinal).ToList();
        foreach (var chain in chains)
        {
            var rows = rowsByChain.GetValueOrDefault(chain) ?? [];
            RunsWithoutEvidence(chain, rows, now, runningGrace, report);
            var recorded = rows.Where(r => r.EvidenceFile is not null).OrderBy(r => r.StartedAt).ThenBy(r => r.Id).ToList();
            if (!filesByChain.TryGetValue(chain, out var files))
            {
                if (recorded.Count > 0)
                    report.Problem(EvidenceProblemKinds.MissingFolder, chain,
                        $"the registry records {recorded.Count} run(s) with evidence in {chain}, the newest {recorded[^1].EvidenceFile}, but the folder is missing (deleted or renamed?)");
                continue;
            }
            var byPath = files.ToDictionary(f => f.Path, StringComparer.Ordinal);
            var missing = new List<(RunRow Row, string Why)>();
            var lastPresent = -1;
            for (var i = 0; i < recorded.Count; i++)
            {
                var row = recorded[i];
                if (Locate(root, chain, row.EvidenceFile!) is not { } path)
                {
                    report.Skipped.Add(($"registry run {row.Id}", $"evidence_file {row.EvidenceFile} is not a file of chain {chain}"));
                    continue;
                }
                if (!byPath.TryGetValue(path, out var file))
                    missing.Add((row, "the folder lacks it"));
                else if (row.EvidenceSha256 is not null && file.Sha256 != row.EvidenceSha256)
                    missing.Add((row, $"the file's SHA-256 is {file.Sha256 ?? "unreadable"}, the registry recorded {row.EvidenceSha256} (replaced?)"));
                else
                    lastPresent = i;
            }
            var tail = missing.Where(m => recorded.IndexOf(m.Row) > lastPresent).ToList();
            if (tail.Count > 0)
                report.Problem(EvidenceProblemKinds.TruncatedChain, chain,
                    $"the registry records {tail.Count} newer run(s) whose evidence is not in the chain, the newest {Describe(tail[^1].Row)}: {tail[^1].Why}; the chain was cut");
            foreach (var (row, why) in missing.Except(tail))
                report.Problem(EvidenceProblemKinds.MissingFile, Path.Combine(root, row.EvidenceFile!), $"registry {Describe(row)}: {why}");
            var recordedHashes = recorded.Select(r => r.EvidenceSha256).OfType<string>().ToHashSet(StringComparer.Ordinal);
            var recordedPaths = recorded.Select(r => Locate(root, chain, r.EvidenceFile!)).OfType<string>().ToHashSet(StringComparer.Ordinal);
            foreach (var file in files.Where(f => !(f.Sha256 is not null && recordedHashes.Contains(f.Sha256)) && !recordedPaths.Contains(f.Path)))
                report.Problem(EvidenceProblemKinds.ExtraFile, file.Path,
                    "the registry records no run with this file (written by a host using another registry or none, or planted)");
        }
    }

    private static void RunsWithoutEvidence(string chain, List<RunRow> rows, DateTimeOffset now, TimeSpan runningGrace, EvidenceReport report)
    {
        foreach (var row in rows.Where(r => r.EvidenceFile is null))
        {
            if (row.Status != "running")
                report.Problem(EvidenceProblemKinds.RunWithoutEvidence, chain, $"registry {Describe(row)} finished ({row.Status}) without recording evidence");
            else if (now - row.StartedAt > runningGrace)
                report.Problem(EvidenceProblemKinds.RunWithoutEvidence, chain,
                    $"registry {Describe(row)} is still 'running' after {(int)(now - row.StartedAt).TotalMinutes} minutes and has no evidence (it crashed or its evidence was never written)");
            else
                report.Skipped.Add(($"registry run {row.Id}", $"{row.Runbook} for {chain} is running (started {Time(row.StartedAt)})"));
        }
    }

    /// <summary>
    /// The full path of a registry evidence_file ("acme/&lt;name&gt;.json"), or null when it is not a file of <paramref name="chain"/>.
    /// Rows written before migration 4 hold an absolute path: its last two parts are the chain and the name.
    /// </summary>
    private static string? Locate(string root, string chain, string recorded)
    {
        var parts = recorded.Replace('\\', '/').Split('/');
        if (Path.IsPathRooted(recorded) && parts.Length >= 2)
            parts = parts[^2..];
        return parts.Length == 2 && parts[0] == chain && EvidenceFormat.IsEvidenceFileName(parts[1]) && parts[1] is not ("." or "..")
            ? Path.GetFullPath(Path.Combine(root, chain, parts[1]))
            : null;
    }

    private static string Describe(RunRow row) =>
        $"run {row.Id} ({row.Runbook} {row.Version}, started {Time(row.StartedAt)})" + (row.EvidenceFile is null ? "" : $" recorded {row.EvidenceFile}");

    private static string Time(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
}
