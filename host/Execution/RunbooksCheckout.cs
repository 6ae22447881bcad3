namespace RunbookHost.Cli.Execution;

/// <summary>
/// The git commit the runbooks folder is checked out at, read from <c>.git</c> without running git (a run must not
/// start a process the working folder could plant). It is what the checkout claims: the evidence's subject digests,
/// not this commit, prove which source ran; the commit only lets an auditor find the review that accepted it.
/// </summary>
internal static class RunbooksCheckout
{
    public static string? HeadCommit(string runbooksFolder)
    {
        try
        {
            for (var dir = new DirectoryInfo(Path.GetFullPath(runbooksFolder)); dir is not null; dir = dir.Parent)
            {
                var dotGit = Path.Combine(dir.FullName, ".git");
                if (Directory.Exists(dotGit))
                    return Resolve(dotGit);
                if (File.Exists(dotGit) && File.ReadAllText(dotGit).Trim() is { } pointer && pointer.StartsWith("gitdir: ", StringComparison.Ordinal))
                    return Resolve(Path.GetFullPath(pointer["gitdir: ".Length..].Trim(), dir.FullName));
            }
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            return null;
        }
        return null;
    }

    private static string? Resolve(string gitDir)
    {
        var head = File.ReadAllText(Path.Combine(gitDir, "HEAD")).Trim();
        if (!head.StartsWith("ref: ", StringComparison.Ordinal))
            return IsCommit(head) ? head : null;
        var reference = head["ref: ".Length..];
        if (reference.Contains("..", StringComparison.Ordinal))
            return null;
        // A worktree keeps its HEAD in its own folder and shares refs with the main repository (commondir).
        var common = File.Exists(Path.Combine(gitDir, "commondir"))
            ? Path.GetFullPath(File.ReadAllText(Path.Combine(gitDir, "commondir")).Trim(), gitDir)
            : gitDir;
        foreach (var root in new[] { gitDir, common })
        {
            var loose = Path.Combine(root, reference);
            if (File.Exists(loose))
                return File.ReadAllText(loose).Trim() is var sha && IsCommit(sha) ? sha : null;
        }
        var packed = Path.Combine(common, "packed-refs");
        if (!File.Exists(packed))
            return null;
        foreach (var line in File.ReadLines(packed))
        {
            var parts = line.Split(' ');
            if (parts.Length == 2 && parts[1] == reference && IsCommit(parts[0]))
                return parts[0];
        }
        return null;
    }

    private static bool IsCommit(string text) => text.Length == 40 && text.All(c => c is (>= '0' and <= '9') or (>= 'a' and <= 'f'));
}
