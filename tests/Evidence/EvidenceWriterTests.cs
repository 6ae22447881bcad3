using System.Text;
using System.Text.Json;
using RunbookHost.Evidence;
using static RunbookHost.Tests.Evidence.EvidenceTestEnvironment;

namespace RunbookHost.Tests.Evidence;

public sealed class EvidenceWriterTests : IDisposable
{
    private readonly EvidenceTestEnvironment _env = new();

    public void Dispose() => _env.Dispose();

    [Fact]
    public void WritesOneSignedFilePerRunUnderTheTenantNamedByUtcStartAndRunbook()
    {
        var path = _env.Writer.Write(Record(new DateTimeOffset(2026, 11, 27, 22, 15, 0, 123, TimeSpan.FromHours(1))));

        Assert.Equal(Path.Combine(_env.EvidenceRoot, "acme", "20261127T211500.123Z-provision.json"), path);
        Assert.Single(Directory.GetFiles(Path.Combine(_env.EvidenceRoot, "acme"), "*.json"));
        Assert.Empty(Directory.GetFiles(Path.Combine(_env.EvidenceRoot, "acme"), "*.tmp"));
        using var envelope = JsonDocument.Parse(File.ReadAllBytes(path));
        var root = envelope.RootElement;
        Assert.Equal(["payloadType", "payload", "signatures"], root.EnumerateObject().Select(p => p.Name));
        Assert.Equal("application/vnd.in-toto+json", root.GetProperty("payloadType").GetString());
        var signature = Assert.Single(root.GetProperty("signatures").EnumerateArray());
        Assert.Equal(_env.Signer.KeyId, signature.GetProperty("keyid").GetString());
        Assert.Matches("^[0-9a-f]{64}$", _env.Signer.KeyId);
    }

    [Fact]
    public void PayloadIsAnInTotoV2StatementHoldingTheWholeRunRecord()
    {
        var record = Record(T0);
        record.Outcome = RunOutcomes.Incomplete;
        record.Incomplete.Add("registry unreachable");
        record.Checks.Add(CheckRecord.Incomplete("redis", "acl", "not configured") with { Step = "§9.1.4 Redis" });
        var path = _env.Writer.Write(record);
        var statement = Payload(path);

        Assert.Equal(["_type", "subject", "predicateType", "predicate"], statement.EnumerateObject().Select(p => p.Name));
        Assert.Equal("https://in-toto.io/Statement/v1", statement.GetProperty("_type").GetString());
        Assert.Equal("https://runbook-host.dev/evidence/v2", statement.GetProperty("predicateType").GetString());
        var subject = Assert.Single(statement.GetProperty("subject").EnumerateArray());
        Assert.Equal("runbooks/provision.csx", subject.GetProperty("name").GetString());
        Assert.Equal(new string('a', 64), subject.GetProperty("digest").GetProperty("sha256").GetString());

        var p = statement.GetProperty("predicate");
        Assert.Equal(
            ["runbook", "runbook_version", "scope", "tenant", "parameters", "dry_run", "started_at", "finished_at", "host_version",
             "host_commit", "runbooks_commit", "operator", "steps", "checks", "outcome", "overall_pass", "incomplete", "rolled_back",
             "error", "result", "sequence", "previous"],
            p.EnumerateObject().Select(x => x.Name));
        Assert.Equal("provision", p.GetProperty("runbook").GetString());
        Assert.Equal("1.2.0", p.GetProperty("runbook_version").GetString());
        Assert.Equal("tenant", p.GetProperty("scope").GetString());
        Assert.Equal("acme", p.GetProperty("tenant").GetString());
        Assert.Equal("eu-west", p.GetProperty("parameters").GetProperty("region").GetString());
        Assert.False(p.GetProperty("dry_run").GetBoolean());
        Assert.Equal("2026-11-27T21:15:00.1230000Z", p.GetProperty("started_at").GetString());
        Assert.Equal("2026-11-27T21:15:03.1230000Z", p.GetProperty("finished_at").GetString());
        Assert.Equal("0.1.0", p.GetProperty("host_version").GetString());
        Assert.Equal(JsonValueKind.Null, p.GetProperty("host_commit").ValueKind);
        Assert.Equal("alice", p.GetProperty("operator").GetString());
        var step = p.GetProperty("steps")[1];
        Assert.Equal(["name", "status", "duration_ms", "detail"], step.EnumerateObject().Select(x => x.Name));
        Assert.Equal("succeeded", step.GetProperty("status").GetString());
        Assert.Equal(3, step.GetProperty("duration_ms").GetDouble());
        Assert.Equal("role tenant_acme_user", step.GetProperty("detail").GetString());
        var check = p.GetProperty("checks")[0];
        Assert.Equal(["store", "test", "result", "status", "pass", "step", "timestamp", "detail"], check.EnumerateObject().Select(x => x.Name));
        Assert.Equal("DENIED", check.GetProperty("result").GetString());
        Assert.Equal("pass", check.GetProperty("status").GetString());
        Assert.Equal("2026-11-27T21:15:02.1230000Z", check.GetProperty("timestamp").GetString());
        var incomplete = p.GetProperty("checks")[1];
        Assert.Equal("incomplete", incomplete.GetProperty("status").GetString());
        Assert.Equal("§9.1.4 Redis", incomplete.GetProperty("step").GetString());
        Assert.Equal("incomplete", p.GetProperty("outcome").GetString());
        Assert.False(p.GetProperty("overall_pass").GetBoolean());
        Assert.Equal("registry unreachable", Assert.Single(p.GetProperty("incomplete").EnumerateArray()).GetString());
        Assert.Equal(0, p.GetProperty("rolled_back").GetArrayLength());
        Assert.Equal(JsonValueKind.Null, p.GetProperty("error").ValueKind);
        Assert.Equal(2, p.GetProperty("result").GetProperty("count").GetInt32());
        Assert.Equal(1, p.GetProperty("sequence").GetInt64());
        Assert.Equal(JsonValueKind.Null, p.GetProperty("previous").ValueKind);
    }

    [Fact]
    public void EveryFileOfTheClosureIsASubjectAndTheCommitsAreRecorded()
    {
        var record = new RunRecord
        {
            Runbook = "verify", RunbookVersion = "2.0.0", RunbookFile = "runbooks/verify.csx", RunbookSha256 = new string('a', 64),
            Tenant = "acme", StartedAt = T0, FinishedAt = T0.AddSeconds(1), HostVersion = "0.2.0", Operator = "alice",
            HostCommit = new string('1', 40), RunbooksCommit = new string('2', 40),
            Subjects = [new("runbooks/verify.csx", new string('a', 64)), new("runbooks/shared/isolation-checks.csx", new string('b', 64)),
                        new("runbooks/runbooks.lock", new string('c', 64))],
        };
        var statement = Payload(_env.Writer.Write(record));

        Assert.Equal(["runbooks/verify.csx", "runbooks/shared/isolation-checks.csx", "runbooks/runbooks.lock"],
            statement.GetProperty("subject").EnumerateArray().Select(s => s.GetProperty("name").GetString()));
        Assert.Equal(new string('1', 40), statement.GetProperty("predicate").GetProperty("host_commit").GetString());
        Assert.Equal(new string('2', 40), statement.GetProperty("predicate").GetProperty("runbooks_commit").GetString());
        Assert.All(_env.Files(_env.EvidenceRoot), r => Assert.True(r.Ok, r.Reason));
    }

    [Fact]
    public void PayloadIsDeterministic()
    {
        using var other = new EvidenceTestEnvironment();
        var a = _env.Writer.Write(Record(T0));
        var b = other.Writer.Write(Record(T0));
        Assert.Equal(Payload(a).GetRawText(), Payload(b).GetRawText());
    }

    [Fact]
    public void MissingFinishedAtIsTakenFromTheClock()
    {
        var record = Record(T0);
        record.FinishedAt = default;
        var path = _env.Writer.Write(record);
        Assert.Equal("2026-11-27T22:15:00.1230000Z", Payload(path).GetProperty("predicate").GetProperty("finished_at").GetString());
    }

    [Fact]
    public void PreviousLinksEachTenantFileToTheSha256OfTheOneBefore()
    {
        var acme = _env.WriteChain(3);
        var globex = _env.WriteChain(2, "globex");

        string? Previous(string path) => Payload(path).GetProperty("predicate").GetProperty("previous").GetString();
        Assert.Null(Previous(acme[0]));
        Assert.Equal(Sha256Hex(acme[0]), Previous(acme[1]));
        Assert.Equal(Sha256Hex(acme[1]), Previous(acme[2]));
        Assert.Null(Previous(globex[0]));
        Assert.Equal(Sha256Hex(globex[0]), Previous(globex[1]));
        Assert.Equal([1L, 2L, 3L], acme.Select(p => Payload(p).GetProperty("predicate").GetProperty("sequence").GetInt64()));
    }

    [Fact]
    public void SameNameIsMadeUniqueNeverOverwritten()
    {
        var first = _env.Writer.Write(Record(T0));
        var bytes = File.ReadAllBytes(first);
        var second = _env.Writer.Write(Record(T0.AddTicks(1)));  // same millisecond: same name
        var third = _env.Writer.Write(Record(T0.AddTicks(1)));   // identical start

        Assert.EndsWith("20261127T211500.123Z-provision_2.json", second);
        Assert.EndsWith("20261127T211500.123Z-provision_3.json", third);
        Assert.Equal(bytes, File.ReadAllBytes(first));
        Assert.All(_env.Files(_env.EvidenceRoot), r => Assert.True(r.Ok, r.Reason));
    }

    [Fact]
    public void ConcurrentWritesForOneTenantFormOneUnbrokenChain()
    {
        // Identical start times force every writer to compete for names and for the head.
        Parallel.For(0, 12, new ParallelOptions { MaxDegreeOfParallelism = 6 }, _ =>
        {
            using var signer = EvidenceSigner.LoadOrCreate(_env.Secrets, _env.EvidenceRoot);
            new EvidenceWriter(signer, _env.EvidenceRoot).Write(Record(T0));
        });

        var results = _env.Files(_env.EvidenceRoot);
        Assert.Equal(12, results.Count);
        Assert.All(results, r => Assert.True(r.Ok, r.Reason));
        var previous = results.Select(r => Payload(r.Path).GetProperty("predicate").GetProperty("previous").GetString()).ToList();
        Assert.Equal(12, previous.Distinct().Count());
    }

    [Fact]
    public void ARunThatStartedBeforeTheLatestEvidenceIsRefusedRatherThanBreakingTheChain()
    {
        _env.Writer.Write(Record(T0.AddMinutes(5)));
        Assert.Throws<EvidenceChainException>(() => _env.Writer.Write(Record(T0)));
        Assert.Single(_env.Files(_env.EvidenceRoot), r => r.Ok);
    }

    [Theory]
    [InlineData("db_password")]
    [InlineData("ApiToken")]
    [InlineData("client_secret")]
    [InlineData("access_key")]
    [InlineData("PASSWORD")]
    public void ParametersWithSecretLookingNamesAreMasked(string name)
    {
        const string secret = "hunter2-S3cr3t-value";
        var path = _env.Writer.Write(Record(T0, parameters: new Dictionary<string, string>
        {
            [name] = secret,
            ["region"] = "eu-west",
        }));

        var parameters = Payload(path).GetProperty("predicate").GetProperty("parameters");
        Assert.Equal("***", parameters.GetProperty(name).GetString());
        Assert.Equal("eu-west", parameters.GetProperty("region").GetString());
        var payloadText = Payload(path).GetRawText();
        Assert.DoesNotContain(secret, payloadText);
        Assert.DoesNotContain(secret, File.ReadAllText(path));
        Assert.DoesNotContain(Convert.ToBase64String(Encoding.UTF8.GetBytes(secret))[..16], File.ReadAllText(path));
    }

    [Fact]
    public void RejectsATenantThatIsNotAValidTenantId()
    {
        var record = Record(T0, tenant: "../etc");
        Assert.ThrowsAny<ArgumentException>(() => _env.Writer.Write(record));
        Assert.False(Directory.Exists(Path.Combine(_env.Root, "etc")));
    }

    [Fact]
    public void RunbookNamesCannotEscapeTheTenantFolder()
    {
        var path = _env.Writer.Write(Record(T0, runbook: "../../x/y"));
        Assert.Equal(Path.Combine(_env.EvidenceRoot, "acme"), Path.GetDirectoryName(path));
        Assert.All(_env.Files(path), r => Assert.True(r.Ok, r.Reason));
    }
}
