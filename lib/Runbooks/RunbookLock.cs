using System.Text;

namespace RunbookHost.Runbooks;

/// <summary>
/// <c>runbooks/runbooks.lock</c>: one line per .csx file — relative path, name, version, sha256 — so every
/// evidence file points to exactly one reviewed source. Changing a file means bumping its version and
/// regenerating the lock (<c>runbook-host list --write-lock</c>), which shows up in review.
/// </summary>
public sealed record RunbookLock(IReadOnlyList<RunbookLockEntry> Entries)
{
    private const string Header = "# runbooks.lock: path name version sha256 — regenerate with `runbook-host list --write-lock` after bumping a version";

    public static RunbookLock FromSources(IEnumerable<RunbookSource> sources) =>
        new(sources.Select(s => new RunbookLockEntry(
                Path.GetRelativePath(s.Root, s.Path).Replace('\\', '/'), s.Metadata.Name, s.Metadata.Version, s.SourceSha256))
            .OrderBy(e => e.Path, StringComparer.Ordinal).ToList());

    public static RunbookLock Read(string path)
    {
        if (!File.Exists(path))
            return new RunbookLock([]);
        var entries = new List<RunbookLockEntry>();
        foreach (var line in File.ReadAllLines(path))
        {
            if (line.Length == 0 || line.StartsWith('#'))
                continue;
            var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length != 4)
                throw new RunbookDefinitionException($"{Path.GetFileName(path)}: malformed line (expected: path name version sha256)");
            entries.Add(new RunbookLockEntry(parts[0], parts[1], parts[2], parts[3]));
        }
        return new RunbookLock(entries);
    }

    public string Format()
    {
        var text = new StringBuilder().Append(Header).Append('\n');
        foreach (var entry in Entries)
            text.Append($"{entry.Path} {entry.Name} {entry.Version} {entry.Sha256}\n");
        return text.ToString();
    }

    /// <summary>Why <paramref name="source"/> may not run under this lock, or null when it is pinned as it is.</summary>
    public string? Problem(RunbookSource source)
    {
        var relative = Path.GetRelativePath(source.Root, source.Path).Replace('\\', '/');
        var entry = Entries.FirstOrDefault(e => e.Path == relative);
        if (entry is null)
            return $"{source.DisplayPath} is not in {RunbookCatalog.LockFileName}";
        if (entry.Sha256 != source.SourceSha256 && entry.Version == source.Metadata.Version)
            return $"{source.DisplayPath} changed but its @version {entry.Version} was not bumped";
        if (entry.Sha256 != source.SourceSha256 || entry.Version != source.Metadata.Version)
            return $"{source.DisplayPath} does not match {RunbookCatalog.LockFileName} (version {source.Metadata.Version}, lock says {entry.Version}): regenerate the lock";
        return null;
    }
}

public sealed record RunbookLockEntry(string Path, string Name, string Version, string Sha256);
