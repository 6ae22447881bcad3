using System.Text;
using RunbookHost.Evidence;
using RunbookHost.Report;

namespace RunbookHost.Tests.Report;

public sealed class EvidenceFileReaderTests : IDisposable
{
    private readonly ReportEvidence _evidence = new();

    public void Dispose() => _evidence.Dispose();

    /// <summary>A v2 statement as CONTRACTS.md describes it, signed like the writer signs.</summary>
    internal static byte[] SignedV2(EvidenceSigner signer, string tenant = "acme") =>
        Envelope(signer, """
            {"_type":"https://in-toto.io/Statement/v1",
             "subject":[{"name":"runbooks/verify.csx","digest":{"sha256":"@A@"}},
                        {"name":"runbooks/shared/isolation-checks.csx","digest":{"sha256":"@B@"}},
                        {"name":"runbooks/runbooks.lock","digest":{"sha256":"@C@"}}],
             "predicateType":"https://runbook-host.dev/evidence/v2",
             "predicate":{"runbook":"verify","runbook_version":"2.0.0","scope":"tenant","tenant":"@T@","parameters":{"reason":"nightly"},
               "dry_run":false,"started_at":"2026-12-02T10:00:00.0000000Z","finished_at":"2026-12-02T10:00:04.5000000Z",
               "host_version":"0.2.0","host_commit":null,"runbooks_commit":null,"operator":"root@host",
               "steps":[{"name":"§9.1.3 Qdrant: only the tenant's collection","status":"succeeded","duration_ms":12.5,"detail":null}],
               "checks":[{"store":"qdrant","test":"other_collection_read","result":"NOT_VERIFIED","status":"incomplete","pass":false,
                          "step":"§9.1.3 Qdrant: only the tenant's collection","timestamp":"2026-12-02T10:00:01.0000000Z","detail":"qdrant unreachable"},
                         {"store":"qdrant","test":"own_collection","result":"ALLOWED","status":"pass","pass":true,
                          "step":"§9.1.3 Qdrant: only the tenant's collection","timestamp":"2026-12-02T10:00:01.0000000Z","detail":null}],
               "outcome":"incomplete","overall_pass":false,"incomplete":["registry unreachable"],"rolled_back":[],"error":null,"result":null,
               "sequence":12,"previous":null,"future_member":{"ignored":true}}}
            """.Replace("@A@", new string('a', 64)).Replace("@B@", new string('b', 64)).Replace("@C@", new string('c', 64)).Replace("@T@", tenant));

    internal static byte[] Envelope(EvidenceSigner signer, string statement)
    {
        var payload = Encoding.UTF8.GetBytes(statement.ReplaceLineEndings(""));
        return EvidenceFormat.SerializeEnvelope(EvidenceFormat.PayloadType, payload, signer.KeyId,
            signer.Sign(DssePae.Encode(EvidenceFormat.PayloadType, payload)));
    }

    [Fact]
    public void AV2FileGivesEverySubjectItsOutcomeSequenceAndEachChecksStatusAndStep()
    {
        var run = EvidenceFileReader.Read("acme", "acme/x.json", SignedV2(_evidence.Env.Signer));

        Assert.Equal(2, run.FormatVersion);
        Assert.Equal(["runbooks/verify.csx", "runbooks/shared/isolation-checks.csx", "runbooks/runbooks.lock"], run.Subjects.Select(s => s.Name));
        Assert.Equal((RunOutcomes.Incomplete, 12L, "tenant"), (run.Outcome, run.Sequence!.Value, run.Scope));
        Assert.Equal(["registry unreachable"], run.Incomplete);
        Assert.Equal([CheckStatus.Incomplete, CheckStatus.Pass], run.Checks.Select(c => c.Status));
        Assert.Equal("§9.1.3", CheckSections.Of(run.Checks[0], run.Steps));
        Assert.Equal(4500, run.DurationMs);
        Assert.Equal(_evidence.Env.Signer.KeyId, run.KeyId);
    }

    [Fact]
    public void AV1FileAsTheWriterWritesItTodayIsReadWithDerivedStatusesAndOutcome()
    {
        var path = _evidence.Env.Writer.Write(_evidence.Record("acme", "verify", ReportEvidence.Night1, checks: true,
            change: c => c.Test == "cross_db_connect" ? c with { Result = "ALLOWED", Pass = false } : c));
        var bytes = File.ReadAllBytes(path);
        var run = EvidenceFileReader.Read("acme", "acme/" + Path.GetFileName(path), bytes);

        Assert.Equal("verify", run.Runbook);
        Assert.Equal(_evidence.Sha("verify.csx"), run.Subjects[0].Sha256);
        Assert.Equal(RunOutcomes.Failed, run.Outcome);
        Assert.Equal(CheckStatus.Fail, Assert.Single(run.Checks, c => c.Test == "cross_db_connect").Status);
        Assert.Equal(EvidenceFormat.Sha256Hex(bytes), run.Sha256);
        Assert.Equal(ReportEvidence.VerifyChecks.Length, run.Checks.Count);
    }

    [Theory]
    [InlineData("""{"_type":"x","predicateType":"https://example.com/other/v1","predicate":{}}""")]
    [InlineData("""{"predicateType":"https://runbook-host.dev/evidence/v1","predicate":{"runbook":"verify"}}""")]
    [InlineData("""[1,2,3]""")]
    public void SomethingThatIsNotOurEvidenceIsRefused(string statement)
    {
        var bytes = Envelope(_evidence.Env.Signer, statement);
        Assert.ThrowsAny<Exception>(() => EvidenceFileReader.Read("acme", "acme/x.json", bytes));
    }

    [Fact]
    public void MembersOfTheWrongTypeAreIgnoredNotFatal()
    {
        var bytes = Envelope(_evidence.Env.Signer, """
            {"subject":"nope","predicateType":"https://runbook-host.dev/evidence/v2","predicate":{"runbook":"verify","started_at":"2026-12-02T10:00:00.0000000Z",
             "steps":[1,"x",{"name":5}],"checks":[{"store":["x"],"status":"bogus","pass":"yes"}],"outcome":"excellent","sequence":"twelve","incomplete":[1,"why"]}}
            """);
        var run = EvidenceFileReader.Read("acme", "acme/x.json", bytes);
        Assert.Empty(run.Subjects);
        Assert.Equal(RunOutcomes.Failed, run.Outcome);
        Assert.Null(run.Sequence);
        Assert.Equal(["why"], run.Incomplete);
        Assert.Equal(CheckStatus.Fail, Assert.Single(run.Checks).Status);
    }
}
