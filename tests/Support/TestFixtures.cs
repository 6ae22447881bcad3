namespace RunbookHost.Tests.Support;

/// <summary>
/// The repository's <c>tests/fixtures</c> folder (public test data, see its PROVENANCE.md), found from the folder
/// holding runbook-host.sln above the test assembly. Nothing outside the repository is ever looked at: a clone
/// with nothing beside it must pass. Missing fixtures throw, so tests fail rather than skip.
/// </summary>
public static class TestFixtures
{
    private static readonly Lazy<string> LazyRoot = new(FindRoot);

    /// <summary>Absolute path of <c>tests/fixtures</c>.</summary>
    public static string Root => LazyRoot.Value;

    /// <summary>A folder under <see cref="Root"/>, e.g. <c>age-testkit</c>; throws when it is absent.</summary>
    public static string Folder(string name)
    {
        var path = Path.Combine(Root, name);
        return Directory.Exists(path) ? path : throw new InvalidOperationException($"fixture folder {path} is missing");
    }

    private static string FindRoot()
    {
        var root = Repository.PathOf(Path.Combine("tests", "fixtures"));
        return File.Exists(Path.Combine(root, "PROVENANCE.md"))
            ? root
            : throw new InvalidOperationException($"{root}/PROVENANCE.md not found: the fixtures belong to the repository");
    }
}
