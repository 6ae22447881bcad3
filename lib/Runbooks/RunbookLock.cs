using System.Security.Cryptography;
using System.Text;
using RunbookHost.Evidence;

namespace RunbookHost.Runbooks;

/// <summary>
/// <c>runbooks/runbooks.lock</c>: one line per .csx file — relative path, name, version, sha256 — so every
/// evidence file points to exactly one reviewed source. Changing a file means bumping its version and
/// regenerating the lock (<c>runbook-host list --write-lock</c>), which shows up in review.
/// </summary>
public sealed record RunbookLock(IReadOnlyList<RunbookLockEntry> Entries)
{
    /// <summary>The lock file as read (its evidence subject name, SHA-256 of exactly the bytes parsed); null when there was none.</summary>
    public EvidenceSubject? File { get; init; }

    private const string Header = "# runbooks.lock: path name version sha256 — regenerate with `runbook-host list --write-lock` after bumping a version";

    public static RunbookLock FromSources(IEnumerable<RunbookSource> sources) =>
        new(sources.Select(s => new RunbookLockEntry(
                Path.GetRelativePath(s.Root, s.Path).Replace('\\', '/'), s.Metadata.Name, s.Metadata.Version, s.SourceSha256))
            .OrderBy(e => e.Path, StringComparer.Ordinal).ToList());

    /// <summary>Reads the lock file once; <paramref name="subjectName"/> is how evidence names it ("runbooks/runbooks.lock").</summary>
    public static RunbookLock Read(string path, string subjectName)
    {
        if (!System.IO.File.Exists(path))
            return new RunbookLock([]);
        var bytes = System.IO.File.ReadAllBytes(path);
        var entries = new List<RunbookLockEntry>();
        foreach (var line in Encoding.UTF8.GetString(bytes).Split('\n').Select(l => l.TrimEnd('\r')))
        {
            if (line.Length == 0 || line.StartsWith('#'))
                continue;
            var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length != 4)
                throw new RunbookDefinitionException($"{Path.GetFileName(path)}: malformed line (expected: path name version sha256)");
            entries.Add(new RunbookLockEntry(parts[0], parts[1], parts[2], parts[3]));
        }
        return new RunbookLock(entries) { File = new EvidenceSubject(subjectName, Convert.ToHexStringLower(SHA256.HashData(bytes))) };
    }

    public string Format()
    {
        var text = new StringBuilder().Append(Header).Append('\n');
        foreach (var entry in Entries)
            text.Append($"{entry.Path} {entry.Name} {entry.Version} {entry.Sha256}\n");
        return text.ToString();
    }

    /// <summary>Why <paramref name="source"/> may not run under this lock, or null when it is pinned as it is.</summary>
    public string? Problem(RunbookSource source) => Problem(source.Closure[0]);

    /// <summary>Why <paramref name="file"/> (as read, once) may not run under this lock, or null when it is pinned as it is.</summary>
    public string? Problem(ClosureFile file)
    {
        var entry = Entries.FirstOrDefault(e => e.Path == file.RelativePath);
        if (entry is null)
            return $"{file.DisplayPath} is not in {RunbookCatalog.LockFileName}";
        if (entry.Sha256 != file.Sha256 && entry.Version == file.Metadata.Version)
            return $"{file.DisplayPath} changed but its @version {entry.Version} was not bumped";
        if (entry.Sha256 != file.Sha256 || entry.Version != file.Metadata.Version)
            return $"{file.DisplayPath} does not match {RunbookCatalog.LockFileName} (version {file.Metadata.Version}, lock says {entry.Version}): regenerate the lock";
        return null;
    }
}

public sealed record RunbookLockEntry(string Path, string Name, string Version, string Sha256);
