namespace RunbookHost.Evidence;

/// <summary>A chain's files in chain order, and its length (the position of its last file).</summary>
internal sealed record CheckedChain(string Name, IReadOnlyList<CheckedFile> Ordered)
{
    public long Length => Ordered.Count == 0 ? 0 : Ordered[^1].Position;

    public CheckedFile? At(long position) => Ordered.FirstOrDefault(f => f.Position == position);
}

/// <summary>
/// Checks one chain (a tenant folder or `_fleet`): every file belongs to it, and in chain order (started_at, then file
/// name) each file's `previous` is the SHA-256 of the file before it and a v2 file's `sequence` is one more than it.
/// </summary>
internal static class EvidenceChainCheck
{
    public static CheckedChain Check(string chain, IReadOnlyList<CheckedFile> files)
    {
        var byHash = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var file in files.Where(f => f.Sha256 is not null))
            byHash.TryAdd(file.Sha256!, file.Name);
        foreach (var file in files.Where(f => f.Statement is not null && f.Statement.Tenant != chain))
            file.Problems.Add($"wrong-folder: belongs to {file.Statement!.Tenant} but is in folder {chain}");

        var ordered = files.Where(f => f.Statement is not null)
            .OrderBy(f => f.Statement!.StartedAt)
            .ThenBy(f => f.Name, StringComparer.Ordinal)
            .ToList();
        CheckedFile? preceding = null;
        foreach (var file in ordered)
        {
            var statement = file.Statement!;
            var previous = statement.Previous;
            if (previous != preceding?.Sha256)
            {
                var target = previous is null ? null : byHash.GetValueOrDefault(previous);
                file.Problems.Add("broken-chain: " + (preceding, previous, target) switch
                {
                    (null, _, null) => $"this is the chain's first file but its previous ({previous}) is not in the folder (earlier files removed?)",
                    (null, _, _) => $"this is the chain's first file but its previous is {target} (files reordered?)",
                    (_, null, _) => $"previous is null but the preceding file is {preceding.Name} (chain restarted or files inserted?)",
                    (_, _, null) => $"previous ({previous}) is not in the folder; the preceding file is {preceding.Name} (a file was removed or changed?)",
                    _ => $"previous is {target} but the preceding file is {preceding.Name} (files reordered?)",
                });
            }
            var expected = (preceding?.Position ?? 0) + 1;
            file.Position = statement.Sequence ?? expected;
            if (statement.Sequence is { } sequence && sequence != expected)
                file.Problems.Add($"broken-chain: sequence is {sequence} but the preceding file is at position {expected - 1} " +
                                  (sequence > expected ? "(files before it were removed?)" : "(files inserted or the chain restarted?)"));
            preceding = file;
        }
        return new CheckedChain(chain, ordered);
    }
}
