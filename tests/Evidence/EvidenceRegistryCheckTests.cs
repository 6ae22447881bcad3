using RunbookHost.Evidence;
using RunbookHost.Registry;
using static RunbookHost.Tests.Evidence.EvidenceTestEnvironment;

namespace RunbookHost.Tests.Evidence;

/// <summary>The registry cross-check names each kind of problem (rows as the runner records them; the database side is in EvidenceAttackTests).</summary>
public sealed class EvidenceRegistryCheckTests : IDisposable
{
    private readonly EvidenceTestEnvironment _env = new();

    public void Dispose() => _env.Dispose();

    private RunRow Recorded(string path, string status = RunStatus.Succeeded) => new(
        Guid.NewGuid(), "provision", "1.2.0", new string('a', 64), EvidenceScopes.Tenant, Path.GetFileName(Path.GetDirectoryName(path)),
        status, false, Payload(path).GetProperty("predicate").GetProperty("started_at").GetDateTimeOffset(), T0.AddHours(1), null,
        Path.GetRelativePath(_env.EvidenceRoot, path), Sha256Hex(path));

    private static RunRow Running(string tenant, DateTimeOffset startedAt, string status = RunStatus.Running) => new(
        Guid.NewGuid(), "rotate-keys", "1.0.0", new string('a', 64), EvidenceScopes.Tenant, tenant, status, false, startedAt, null, null, null, null);

    private EvidenceReport Verify(IReadOnlyList<RunRow> runs, DateTimeOffset? now = null) =>
        EvidenceVerifier.Verify(_env.EvidenceRoot, EvidenceVerifyOptions.WithKeyFile(_env.PublicKeyPath) with { RegistryRuns = runs, Now = now ?? T0.AddHours(1) });

    private static IEnumerable<string> Kinds(EvidenceReport report) => report.Problems.Select(p => p.Kind);

    [Fact]
    public void AFolderThatMatchesTheRegistryPasses()
    {
        var rows = _env.WriteChain(3).Concat(_env.WriteChain(1, "globex")).Select(p => Recorded(p)).ToList();
        var report = Verify(rows);
        Assert.True(report.Ok, string.Join("; ", report.Problems.Select(p => p.Reason)));
    }

    [Fact]
    public void EachKindOfProblemIsNamed()
    {
        var acme = _env.WriteChain(4);
        var globex = _env.WriteChain(1, "globex");
        var rows = acme.Concat(globex).Select(p => Recorded(p)).ToList();
        rows.Add(Running("acme", T0.AddMinutes(-90)));                       // crashed long ago, no file
        rows.Add(Running("acme", T0.AddMinutes(55)));                        // still running: fine
        rows.Add(Running("acme", T0, RunStatus.Failed));                     // finished without evidence
        File.Delete(acme[1]);                                                // a middle file
        File.Delete(acme[3]);                                                // the newest file
        Directory.Delete(Path.Combine(_env.EvidenceRoot, "globex"), recursive: true);
        _env.WriteChain(1, "initech");                                       // never recorded

        var report = Verify(rows);

        Assert.Equal(
            new[] { EvidenceProblemKinds.ExtraFile, EvidenceProblemKinds.MissingFile, EvidenceProblemKinds.MissingFolder,
                    EvidenceProblemKinds.RunWithoutEvidence, EvidenceProblemKinds.TruncatedChain },
            Kinds(report).Distinct().Order(StringComparer.Ordinal));
        Assert.Contains(report.Problems, p => p.Kind == EvidenceProblemKinds.MissingFile && p.Subject == acme[1]);
        Assert.Contains(report.Problems, p => p.Kind == EvidenceProblemKinds.TruncatedChain && p.Subject == "acme" && p.Reason.Contains("registry"));
        Assert.Contains(report.Problems, p => p.Kind == EvidenceProblemKinds.MissingFolder && p.Subject == "globex" && p.Reason.Contains("registry"));
        Assert.Contains(report.Problems, p => p.Kind == EvidenceProblemKinds.ExtraFile && p.Subject.Contains("initech"));
        Assert.Equal(2, report.Problems.Count(p => p.Kind == EvidenceProblemKinds.RunWithoutEvidence));
        Assert.Contains(report.Skipped, s => s.Why.Contains("is running"));
    }

    [Fact]
    public void AReplacedFileIsAMissingFileWithBothHashes()
    {
        var chain = _env.WriteChain(2);
        var rows = chain.Select(p => Recorded(p)).ToList();
        rows[0] = rows[0] with { EvidenceSha256 = new string('e', 64) };
        var problem = Assert.Single(Verify(rows).Problems);
        Assert.Equal(EvidenceProblemKinds.MissingFile, problem.Kind);
        Assert.Contains("the registry recorded " + new string('e', 64), problem.Reason);
    }
}
