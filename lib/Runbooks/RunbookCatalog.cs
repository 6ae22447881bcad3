using RunbookHost.IO;

namespace RunbookHost.Runbooks;

/// <summary>
/// The runbooks folder: every runnable runbook (top-level <c>*.csx</c>) and the lock file that pins their sources.
/// Opening it checks the folder, every folder above it and every file in it (<see cref="StrictModes"/>): what runs
/// must not be changeable by anyone but the user running the host or root.
/// </summary>
public sealed class RunbookCatalog
{
    public const string LockFileName = "runbooks.lock";

    public RunbookCatalog(string root)
    {
        Root = Path.GetFullPath(root);
        if (!Directory.Exists(Root))
            throw new RunbookDefinitionException($"runbooks folder not found: {root}");
        StrictModes.CheckTree(Root, "runbooks folder", "file in the runbooks folder");
    }

    public string Root { get; }

    public IReadOnlyList<RunbookSource> List() =>
        Directory.EnumerateFiles(Root, "*.csx", SearchOption.TopDirectoryOnly)
            .Order(StringComparer.Ordinal)
            .Select(path => RunbookSource.Load(Root, path))
            .Where(source => !source.Metadata.IsShared)
            .ToList();

    /// <summary>Every .csx file, runbooks and shared step files alike: all of them are pinned by the lock.</summary>
    public IReadOnlyList<RunbookSource> ListAllFiles() =>
        Directory.EnumerateFiles(Root, "*.csx", SearchOption.AllDirectories)
            .Order(StringComparer.Ordinal)
            .Select(path => RunbookSource.Load(Root, path))
            .ToList();

    public RunbookSource Find(string name)
    {
        if (!RunbookMetadata.NamePattern().IsMatch(name))
            throw new RunbookArgumentException("a runbook name is lowercase letters, digits and '-'");
        return List().FirstOrDefault(r => r.Metadata.Name == name)
            ?? throw new RunbookArgumentException($"no runbook named '{name}' in {Path.GetFileName(Root)}/ (see `runbook-host list`)");
    }

    /// <summary>The runbook named <paramref name="name"/>, with every file of its closure checked against the lock file (read once).</summary>
    public RunbookSource FindPinned(string name) => Find(name).PinnedBy(ReadLock());

    public RunbookLock ReadLock()
    {
        var path = Path.Combine(Root, LockFileName);
        return RunbookLock.Read(path, RunbookSource.SubjectName(LockFileName));
    }

    public RunbookLock ComputeLock() => RunbookLock.FromSources(ListAllFiles());
}
