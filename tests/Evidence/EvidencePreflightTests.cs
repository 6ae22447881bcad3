using System.Text;
using RunbookHost.Evidence;
using static RunbookHost.Tests.Evidence.EvidenceTestEnvironment;

namespace RunbookHost.Tests.Evidence;

/// <summary>No action without evidence: before a run acts, the writer proves its evidence can be written and names what it links to.</summary>
public sealed class EvidencePreflightTests : IDisposable
{
    private readonly EvidenceTestEnvironment _env = new();

    public void Dispose() => _env.Dispose();

    private string Acme => Path.Combine(_env.EvidenceRoot, "acme");

    [Fact]
    public void APreflightNamesTheHeadTheRunWillLinkToAndTheWriteLinksToIt()
    {
        var first = _env.Writer.Preflight("acme", T0);
        Assert.Equal(new EvidencePreflight("acme", null, 1, _env.Signer.KeyId), first);

        var chain = _env.WriteChain(2);
        var preflight = _env.Writer.Preflight("acme", T0.AddMinutes(5));
        Assert.Equal(Sha256Hex(chain[1]), preflight.PreviousSha256);
        Assert.Equal(3, preflight.Sequence);

        var written = _env.Writer.Write(Record(T0.AddMinutes(5)), preflight);
        Assert.Equal(3, written.Sequence);
        Assert.Equal(preflight.PreviousSha256, written.PreviousSha256);
        Assert.Equal(Sha256Hex(written.Path), written.Sha256);
        Assert.True(_env.Verify(_env.EvidenceRoot).Ok);
    }

    [Fact]
    public void AFutureDatedFilePlantedInTheFolderStopsTheRunBeforeItActs()
    {
        _env.WriteChain(1);
        var planted = Path.Combine(Acme, "20991231T235959.000Z-rotate-keys.json");
        File.WriteAllText(planted, "{}");
        var before = Snapshot();

        var error = Assert.Throws<EvidencePreflightException>(() => _env.Writer.Preflight("acme", T0.AddMinutes(1)));

        Assert.Contains("20991231T235959.000Z-rotate-keys.json is dated after now", error.Message);
        Assert.DoesNotContain('\n', error.Message);
        Assert.Equal(before, Snapshot());
    }

    [Fact]
    public void AFutureDatedFileWithAPlausibleSignatureIsRefusedToo()
    {
        // A real file of this chain, re-dated by a writer that has the key: still after now.
        _env.Writer.Write(Record(T0.AddDays(30)));
        var error = Assert.Throws<EvidencePreflightException>(() => _env.Writer.Preflight("acme", T0));
        Assert.Contains("dated after now", error.Message);
    }

    [Fact]
    public void ADeletedNewestFileWithItsHeadLeftBehindIsRefused()
    {
        var chain = _env.WriteChain(3);
        File.Delete(chain[2]);
        var error = Assert.Throws<EvidencePreflightException>(() => _env.Writer.Preflight("acme", T0.AddHours(1)));
        Assert.Contains("does not match its signed head", error.Message);
    }

    [Fact]
    public void ADeletedHeadOfAV2ChainIsRefusedAndCanBeRebuiltAfterTheChainVerifies()
    {
        _env.WriteChain(2);
        File.Delete(ChainHead.PathFor(_env.EvidenceRoot, "acme"));
        var error = Assert.Throws<EvidencePreflightException>(() => _env.Writer.Preflight("acme", T0.AddHours(1)));
        Assert.Contains("evidence heads --rebuild acme", error.Message);

        var head = _env.Writer.RebuildHead("acme");
        Assert.Equal(2, head.Sequence);
        Assert.Equal(3, _env.Writer.Preflight("acme", T0.AddHours(1)).Sequence);
    }

    [Fact]
    public void AHeadSignedByAnotherKeyIsRefused()
    {
        _env.WriteChain(1);
        using var other = new EvidenceTestEnvironment();
        other.WriteChain(1);
        File.Copy(ChainHead.PathFor(other.EvidenceRoot, "acme"), ChainHead.PathFor(_env.EvidenceRoot, "acme"), overwrite: true);
        var error = Assert.Throws<EvidencePreflightException>(() => _env.Writer.Preflight("acme", T0.AddHours(1)));
        Assert.Contains("not signed by this host's evidence key", error.Message);
    }

    [Fact]
    public void ANewestFileThatDoesNotVerifyIsRefused()
    {
        var chain = _env.WriteChain(2);
        var text = File.ReadAllText(chain[1]);
        File.WriteAllText(chain[1], text.Replace("\"sig\":\"M", "\"sig\":\"N"));
        Assert.Throws<EvidencePreflightException>(() => _env.Writer.Preflight("acme", T0.AddHours(1)));
    }

    [Fact]
    public void AFolderThatCannotBeCreatedIsRefused()
    {
        File.WriteAllText(Path.Combine(_env.EvidenceRoot, "globex"), "not a folder");
        var error = Assert.Throws<EvidencePreflightException>(() => _env.Writer.Preflight("globex", T0));
        Assert.StartsWith("evidence cannot be written, so nothing was done:", error.Message);
    }

    [Fact]
    public void AChainFolderReplacedByASymbolicLinkIsRefused()
    {
        var elsewhere = Path.Combine(_env.Root, "elsewhere");
        Directory.CreateDirectory(elsewhere);
        Directory.CreateSymbolicLink(Acme, elsewhere);
        var error = Assert.Throws<EvidencePreflightException>(() => _env.Writer.Preflight("acme", T0));
        Assert.Contains("is a symbolic link", error.Message);
        Assert.Throws<IOException>(() => _env.Writer.Write(Record(T0)));
        Assert.Empty(Directory.GetFileSystemEntries(elsewhere));
    }

    [Fact]
    public void AChainNameThatIsNotATenantIdIsRefused() =>
        Assert.Throws<EvidencePreflightException>(() => _env.Writer.Preflight("../etc", T0));

    [Fact]
    public void AWriteFailsWhenItsPreflightHeadWasRemovedMeanwhile()
    {
        var chain = _env.WriteChain(2);
        var preflight = _env.Writer.Preflight("acme", T0.AddHours(1));
        File.Delete(chain[1]);
        File.Delete(ChainHead.PathFor(_env.EvidenceRoot, "acme"));
        _env.Writer.RebuildHead("acme"); // the chain now ends one file earlier than the run was told
        var error = Assert.Throws<EvidenceChainException>(() => _env.Writer.Write(Record(T0.AddHours(1)), preflight));
        Assert.Contains("changed since this run's preflight", error.Message);
    }

    [Fact]
    public void AWriteInterruptedBeforeItsHeadIsTakenUpByTheNextWrite()
    {
        _env.WriteChain(1);
        var head = ChainHead.PathFor(_env.EvidenceRoot, "acme");
        var oldHead = File.ReadAllBytes(head);
        _env.Writer.Write(Record(T0.AddMinutes(1)));
        File.WriteAllBytes(head, oldHead); // as if the process died between the file and its head

        var behind = _env.Verify(_env.EvidenceRoot);
        Assert.Contains(behind.Problems, p => p.Kind == EvidenceProblemKinds.HeadMismatch && p.Reason.Contains("the head is behind"));
        Assert.Equal(3, _env.Writer.Preflight("acme", T0.AddMinutes(2)).Sequence);
        _env.Writer.Write(Record(T0.AddMinutes(2)));
        Assert.True(_env.Verify(_env.EvidenceRoot).Ok);
    }

    [Fact]
    public void AV1ChainWrittenBeforeHeadsIsContinuedAtTheRightPosition()
    {
        var first = WriteV1(T0, previous: null);
        var second = WriteV1(T0.AddMinutes(1), Sha256Hex(first));
        var preflight = _env.Writer.Preflight("acme", T0.AddMinutes(2));
        Assert.Equal((Sha256Hex(second), 3L), (preflight.PreviousSha256, preflight.Sequence));

        _env.Writer.Write(Record(T0.AddMinutes(2)), preflight);
        var report = _env.Verify(_env.EvidenceRoot);
        Assert.True(report.Ok, string.Join("; ", report.Files.Select(f => f.Reason).Concat(report.Problems.Select(p => p.Reason))));
        Assert.Equal(3, report.Files.Count);
    }

    /// <summary>A file as runbook-host 0.1 wrote it (predicate v1: no scope, outcome or sequence).</summary>
    private string WriteV1(DateTimeOffset startedAt, string? previous)
    {
        var started = startedAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'");
        var link = previous is null ? "null" : $"\"{previous}\"";
        var payload = "{\"_type\":\"https://in-toto.io/Statement/v1\",\"subject\":[{\"name\":\"runbooks/provision.csx\",\"digest\":{\"sha256\":\"" + new string('a', 64) +
            "\"}}],\"predicateType\":\"https://runbook-host.dev/evidence/v1\",\"predicate\":{\"runbook\":\"provision\",\"runbook_version\":\"1.0.0\"," +
            "\"tenant\":\"acme\",\"parameters\":{},\"dry_run\":false,\"started_at\":\"" + started + "\",\"finished_at\":\"" + started +
            "\",\"host_version\":\"0.1.0\",\"operator\":\"alice\",\"steps\":[],\"checks\":[],\"overall_pass\":true,\"rolled_back\":[],\"error\":null," +
            "\"result\":null,\"previous\":" + link + "}}";
        Directory.CreateDirectory(Acme);
        var path = Path.Combine(Acme, startedAt.UtcDateTime.ToString("yyyyMMdd'T'HHmmss.fff'Z'") + "-provision.json");
        File.WriteAllBytes(path, _env.Signer.SignEnvelope(EvidenceFormat.PayloadType, Encoding.UTF8.GetBytes(payload)));
        return path;
    }

    private List<string> Snapshot() =>
        Directory.EnumerateFileSystemEntries(_env.Root, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToList();
}
