using RunbookHost.Evidence;
using RunbookHost.Report;

namespace RunbookHost.Tests.Report;

public sealed class SourceCatalogTests : IDisposable
{
    private readonly ReportEvidence _evidence = new();

    public void Dispose() => _evidence.Dispose();

    private EvidenceSubject Subject(string file) => new($"runbooks/{file}", _evidence.Sha(file));

    [Fact]
    public void AFileWithTheHashThatRanIsShownWithItsExactText()
    {
        var catalog = SourceCatalog.Load(_evidence.RunbooksDir);
        var (state, file) = catalog.Resolve(Subject("shared/isolation-checks.csx"));
        Assert.Equal(SourceState.Available, state);
        Assert.Equal(File.ReadAllText(Path.Combine(_evidence.RunbooksDir, "shared", "isolation-checks.csx")), file!.Text);
        Assert.Equal(SourceState.Available, catalog.Resolve(Subject("runbooks.lock")).State);
    }

    [Fact]
    public void AChangedFileDiffersAndAnUnknownOneIsNotAvailable()
    {
        var ran = Subject("provision.csx");
        File.AppendAllText(Path.Combine(_evidence.RunbooksDir, "provision.csx"), "// edited after the run\n");
        var catalog = SourceCatalog.Load(_evidence.RunbooksDir);
        Assert.Equal(SourceState.Differs, catalog.Resolve(ran).State);
        Assert.Equal(SourceState.NotAvailable, catalog.Resolve(new EvidenceSubject("runbooks/gone.csx", new string('e', 64))).State);
    }

    [Fact]
    public void TheLockGivesALoadedFileItsVersion()
    {
        var catalog = SourceCatalog.Load(_evidence.RunbooksDir);
        var locked = File.ReadAllLines(Path.Combine(_evidence.RunbooksDir, "runbooks.lock"))
            .Single(l => l.StartsWith("shared/isolation-checks.csx ", StringComparison.Ordinal)).Split(' ')[2];
        Assert.Equal(locked, catalog.VersionOf(_evidence.Sha("shared/isolation-checks.csx")));
        Assert.Null(catalog.VersionOf(new string('e', 64)));
    }

    [Fact]
    public void ASymlinkIsNeverFollowedSoNoFileOutsideTheFolderCanBeShown()
    {
        var outside = Path.Combine(_evidence.Env.Root, "outside.csx");
        File.WriteAllText(outside, "// not a runbook: a file the insider wants shown\n");
        File.CreateSymbolicLink(Path.Combine(_evidence.RunbooksDir, "linked.csx"), outside);
        var catalog = SourceCatalog.Load(_evidence.RunbooksDir);
        Assert.Equal(SourceState.NotAvailable, catalog.Resolve(new EvidenceSubject("runbooks/linked.csx", EvidenceTestEnvironmentSha(outside))).State);
    }

    private static string EvidenceTestEnvironmentSha(string path) => Tests.Evidence.EvidenceTestEnvironment.Sha256Hex(path);
}
