using RunbookHost.Evidence;
using RunbookHost.Runbooks;

namespace RunbookHost.Cli.Execution;

/// <summary>Every file of a run's compiled closure as in-toto subjects: the runbook, each <c>#load</c>ed file, then the lock file.</summary>
internal static class EvidenceSubjects
{
    public static IReadOnlyList<EvidenceSubject> Of(RunbookSource source, RunbookCatalog catalog)
    {
        var subjects = source.Files
            .Select(file => new EvidenceSubject(Name(source.Root, file), EvidenceFormat.Sha256Hex(File.ReadAllBytes(file))))
            .ToList();
        var lockPath = Path.Combine(catalog.Root, RunbookCatalog.LockFileName);
        if (File.Exists(lockPath))
            subjects.Add(new EvidenceSubject(Name(catalog.Root, lockPath), EvidenceFormat.Sha256Hex(File.ReadAllBytes(lockPath))));
        return subjects;
    }

    /// <summary>"runbooks/&lt;path inside the runbooks folder&gt;", whatever the folder is called on this machine.</summary>
    private static string Name(string root, string file) => "runbooks/" + Path.GetRelativePath(root, file).Replace('\\', '/');
}
