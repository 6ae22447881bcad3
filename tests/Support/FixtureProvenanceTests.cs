using System.Security.Cryptography;
using System.Text.RegularExpressions;

namespace RunbookHost.Tests.Support;

/// <summary>tests/fixtures/PROVENANCE.md names every fixture file with the bytes it has, and nothing else.</summary>
public partial class FixtureProvenanceTests
{
    [GeneratedRegex(@"^\| `(?<file>[^`]+)` \|.*\| `(?<sha>[0-9a-f]{16})` \|$", RegexOptions.Multiline)]
    private static partial Regex FileRow();

    private static Dictionary<string, string> Listed() =>
        FileRow().Matches(File.ReadAllText(Path.Combine(TestFixtures.Root, "PROVENANCE.md")))
            .ToDictionary(m => m.Groups["file"].Value, m => m.Groups["sha"].Value, StringComparer.Ordinal);

    private static IEnumerable<string> FilesOnDisk() =>
        Directory.GetFiles(TestFixtures.Root, "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(TestFixtures.Root, f))
            .Where(f => f is not "PROVENANCE.md" and not ".gitattributes" && !f.StartsWith("licenses/", StringComparison.Ordinal));

    [Fact]
    public void EveryFixtureFileIsListedWithItsSha256()
    {
        var listed = Listed();
        var files = FilesOnDisk().ToList();
        Assert.True(files.Count > 100, $"only {files.Count} fixture files under {TestFixtures.Root}");
        foreach (var file in files)
        {
            Assert.True(listed.TryGetValue(file, out var sha), $"{file} is not in PROVENANCE.md");
            var actual = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(Path.Combine(TestFixtures.Root, file))))[..16];
            Assert.True(sha == actual, $"{file} changed: PROVENANCE.md says {sha}, the file hashes to {actual}");
        }
    }

    [Fact]
    public void EveryListedFileExists()
    {
        var onDisk = FilesOnDisk().ToHashSet(StringComparer.Ordinal);
        var missing = Listed().Keys.Where(f => !onDisk.Contains(f)).ToList();
        Assert.True(missing.Count == 0, "listed but absent: " + string.Join(", ", missing));
    }

    [Fact]
    public void EveryLicenceNamedForAFileIsShipped()
    {
        var text = File.ReadAllText(Path.Combine(TestFixtures.Root, "PROVENANCE.md"));
        foreach (var licence in new[] { "MPL-2.0", "Apache-2.0" })
        {
            Assert.Contains(licence, text, StringComparison.Ordinal);
            Assert.True(File.Exists(Path.Combine(TestFixtures.Root, "licenses", licence + ".txt")), licence);
        }
    }
}
