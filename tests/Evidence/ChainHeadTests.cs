using RunbookHost.Evidence;
using static RunbookHost.Tests.Evidence.EvidenceTestEnvironment;

namespace RunbookHost.Tests.Evidence;

/// <summary>Signed chain heads: what the chain alone cannot show (its newest files removed or hidden), the heads do.</summary>
public sealed class ChainHeadTests : IDisposable
{
    private readonly EvidenceTestEnvironment _env = new();

    public void Dispose() => _env.Dispose();

    private static EvidenceProblem Problem(EvidenceReport report, string kind) =>
        Assert.Single(report.Problems, p => p.Kind == kind);

    [Fact]
    public void EachWriteReplacesTheChainsSignedHead()
    {
        var chain = _env.WriteChain(3);
        var head = _env.Writer.CurrentHead("acme")!;
        Assert.Equal(("acme", 3L, Path.GetFileName(chain[2]), Sha256Hex(chain[2])), (head.Chain, head.Sequence, head.File, head.Sha256));
        var report = _env.Verify(_env.EvidenceRoot);
        Assert.True(report.Ok);
        Assert.Contains(report.Skipped, s => s.Path == Path.Combine(_env.EvidenceRoot, "acme", ".lock"));
    }

    [Fact]
    public void DeletingTheNewestFileIsATruncatedChain()
    {
        var chain = _env.WriteChain(3);
        File.Delete(chain[2]);
        var report = _env.Verify(_env.EvidenceRoot);
        Assert.All(report.Files, f => Assert.True(f.Ok)); // the chain itself still links…
        Assert.Contains("ends at sequence 2", Problem(report, EvidenceProblemKinds.TruncatedChain).Reason); // …but its head says 3
    }

    [Fact]
    public void RenamingTheNewestFileToABackupNameIsNamedTwice()
    {
        var chain = _env.WriteChain(3);
        File.Move(chain[2], chain[2] + ".bak");
        var report = _env.Verify(_env.EvidenceRoot);
        Assert.Equal(EvidenceProblemKinds.TruncatedChain, Problem(report, EvidenceProblemKinds.TruncatedChain).Kind);
        Assert.Equal(chain[2] + ".bak", Problem(report, EvidenceProblemKinds.UnexpectedEntry).Subject);
    }

    [Fact]
    public void DeletingOrHidingATenantFolderIsAMissingFolder()
    {
        _env.WriteChain(2);
        _env.WriteChain(2, "globex");
        var globex = Path.Combine(_env.EvidenceRoot, "globex");
        Directory.Move(globex, Path.Combine(_env.EvidenceRoot, ".globex"));
        var hidden = _env.Verify(_env.EvidenceRoot);
        Assert.Equal("globex", Problem(hidden, EvidenceProblemKinds.MissingFolder).Subject);
        Assert.Contains("hidden folder", Problem(hidden, EvidenceProblemKinds.UnexpectedEntry).Reason);

        Directory.Delete(Path.Combine(_env.EvidenceRoot, ".globex"), recursive: true);
        Assert.Equal("globex", Problem(_env.Verify(_env.EvidenceRoot), EvidenceProblemKinds.MissingFolder).Subject);
    }

    [Fact]
    public void DeletingTheHeadOfAV2ChainIsAMissingHead()
    {
        _env.WriteChain(2);
        File.Delete(ChainHead.PathFor(_env.EvidenceRoot, "acme"));
        Assert.Equal(EvidenceProblemKinds.MissingHead, Assert.Single(_env.Verify(_env.EvidenceRoot).Problems).Kind);
    }

    [Fact]
    public void PublishedHeadsCatchACutChainEvenWhenTheLocalHeadWasCutToo()
    {
        var chain = _env.WriteChain(3);
        var published = Publish();
        _env.WriteChain(1, "globex"); // newer chains and files are fine
        Assert.True(_env.Verify(_env.EvidenceRoot, published: published).Ok);

        // The attacker removes the newest file and rebuilds a matching local head (as an insider with the key could).
        File.Delete(chain[2]);
        File.Delete(ChainHead.PathFor(_env.EvidenceRoot, "acme"));
        _env.Writer.RebuildHead("acme");
        Assert.True(_env.Verify(_env.EvidenceRoot).Ok); // nothing left locally shows it…
        var report = _env.Verify(_env.EvidenceRoot, published: published);
        Assert.Contains("the published head names acme/" + Path.GetFileName(chain[2]), Problem(report, EvidenceProblemKinds.TruncatedChain).Reason);
    }

    [Fact]
    public void PublishedHeadsCatchARewrittenChain()
    {
        var chain = _env.WriteChain(2);
        var published = Publish();
        File.Delete(chain[1]);
        File.Delete(ChainHead.PathFor(_env.EvidenceRoot, "acme"));
        _env.Writer.RebuildHead("acme");
        _env.Writer.Write(Record(T0.AddMinutes(5))); // another file takes position 2
        var report = _env.Verify(_env.EvidenceRoot, published: published);
        Assert.Contains("the chain was rewritten", Problem(report, EvidenceProblemKinds.HeadMismatch).Reason);
    }

    [Fact]
    public void PublishedHeadsNotSignedByATrustedKeyAreRefused()
    {
        _env.WriteChain(1);
        using var other = new EvidenceTestEnvironment();
        other.WriteChain(1);
        var forged = Path.Combine(_env.Root, "forged-heads.json");
        File.WriteAllBytes(forged, ChainHead.SignPublished([other.Writer.CurrentHead("acme")!], T0, other.Signer));
        var report = _env.Verify(_env.EvidenceRoot, published: forged);
        Assert.Contains("untrusted-key", Problem(report, EvidenceProblemKinds.BadHead).Reason);
    }

    private string Publish()
    {
        var path = Path.Combine(_env.Root, "published-heads.json");
        var heads = new[] { "acme", "globex" }.Select(c => _env.Writer.CurrentHead(c)).OfType<ChainHead>().ToList();
        File.WriteAllBytes(path, ChainHead.SignPublished(heads, _env.Clock.GetUtcNow(), _env.Signer));
        return path;
    }
}
