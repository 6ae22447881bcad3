namespace RunbookHost.Tests.Support;

/// <summary>The checkout the tests were built from: the folder holding runbook-host.sln above the test assembly.</summary>
public static class Repository
{
    private static readonly Lazy<string> LazyRoot = new(() =>
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "runbook-host.sln")))
            dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("runbook-host.sln not found above " + AppContext.BaseDirectory);
    });

    public static string Root => LazyRoot.Value;

    /// <summary>An absolute path from a repository-relative one such as <c>deploy/docker-compose.yml</c>.</summary>
    public static string PathOf(string relative) => Path.Combine(Root, relative);
}
