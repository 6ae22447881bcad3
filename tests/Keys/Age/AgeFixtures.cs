namespace RunbookHost.Tests.Keys.Age;

/// <summary>Locates shared/fixtures/age-testkit relative to the repository (never skips: absent = failure).</summary>
internal static class AgeFixtures
{
    public static string? FindTestkit()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "runbook-host.sln")))
        {
            dir = dir.Parent;
        }

        // <repo>/../shared in CI and for /work/main; worktrees sit one level deeper, so keep walking up.
        for (var d = dir?.Parent; d is not null; d = d.Parent)
        {
            var candidate = Path.Combine(d.FullName, "shared", "fixtures", "age-testkit");
            if (Directory.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }
}
