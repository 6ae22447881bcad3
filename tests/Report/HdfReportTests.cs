using System.Text.Json;
using System.Text.Json.Nodes;
using Json.Schema;
using RunbookHost.Evidence;
using RunbookHost.Report;
using RunbookHost.Tests.Runbooks;

namespace RunbookHost.Tests.Report;

public sealed class HdfReportTests : IDisposable
{
    private readonly ReportEvidence _evidence = new();

    public void Dispose() => _evidence.Dispose();

    /// <summary>
    /// MITRE's exec-json schema (tests/fixtures/hdf, see PROVENANCE.md). It declares no $schema and uses draft-04..07
    /// keywords ("definitions", type arrays), so it is built as draft 7, which JsonSchema.Net 8 implements.
    /// </summary>
    private static readonly JsonSchema Schema =
        JsonSchema.FromFile(Path.Combine(StorageEnvironment.RepositoryRoot(), "tests", "fixtures", "hdf", "exec-json.json"),
            new BuildOptions { Dialect = Dialect.Draft07 });

    private static EvaluationResults Validate(JsonNode document)
    {
        using var json = JsonDocument.Parse(document.ToJsonString());
        return Schema.Evaluate(json.RootElement, new EvaluationOptions { OutputFormat = OutputFormat.List });
    }

    private static JsonNode Hdf(ReportModel model)
    {
        using var buffer = new MemoryStream();
        HdfReportWriter.Write(buffer, model);
        return JsonNode.Parse(buffer.ToArray())!;
    }

    private static string Errors(EvaluationResults results) =>
        string.Join("\n", (results.Details ?? []).Where(d => d.Errors is not null).SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation}: {e.Value}")));

    [Fact]
    public void TheLatestVerifyOfEachTenantValidatesAgainstTheExecJsonSchema()
    {
        _evidence.WriteTenant("acme");
        _evidence.WriteTenant("globex", ReportEvidence.OneOfEach("connected to tenant_acme"));
        var hdf = Hdf(_evidence.Model());

        var results = Validate(hdf);
        Assert.True(results.IsValid, Errors(results));
    }

    [Fact]
    public void TheValidatorIsNotVacuous()
    {
        _evidence.WriteTenant("acme");
        var hdf = Hdf(_evidence.Model());
        hdf["profiles"]![0]!.AsObject().Remove("sha256");
        hdf["profiles"]![0]!["controls"]![1]!["impact"] = 3;
        Assert.False(Validate(hdf).IsValid);
    }

    [Fact]
    public void OneControlPerCheckTaggedWithItsSectionAndOneResultPerTenantWithItsEvidence()
    {
        var acme = _evidence.WriteTenant("acme");
        _evidence.WriteTenant("globex", c => c.Test == "cross_db_connect" ? c with { Result = "ALLOWED", Pass = false, Detail = "connected" } : c);
        var profile = Hdf(_evidence.Model())["profiles"]![0]!;

        Assert.Equal(_evidence.Sha("verify.csx"), profile["sha256"]!.GetValue<string>());
        Assert.Equal("1.0.0", profile["version"]!.GetValue<string>());
        var controls = profile["controls"]!.AsArray();
        Assert.Equal([HdfReportWriter.EvidenceControl, .. ReportEvidence.VerifyChecks.Select(c => $"{c.Store}/{c.Test}")],
            controls.Select(c => c!["id"]!.GetValue<string>()));
        var cross = controls.Single(c => c!["id"]!.GetValue<string>() == "postgresql/cross_db_connect")!;
        Assert.Equal("§9.1.2", cross["tags"]!["section"]!.GetValue<string>());
        var results = cross["results"]!.AsArray();
        Assert.Equal(["acme", "globex"], results.Select(r => r!["resource_id"]!.GetValue<string>()));
        Assert.Equal(["passed", "failed"], results.Select(r => r!["status"]!.GetValue<string>()));
        Assert.Equal($"acme/{Path.GetFileName(acme)}", results[0]!["evidence_file"]!.GetValue<string>());
        Assert.Equal(EvidenceTestEnvironmentSha(acme), results[0]!["evidence_sha256"]!.GetValue<string>());
        Assert.Equal("connected", results[1]!["message"]!.GetValue<string>());
    }

    [Fact]
    public void IncompleteIsAnErrorAndSoIsAnythingClaimedByEvidenceThatFailedVerification()
    {
        var acme = _evidence.WriteTenant("acme", c => c.Test == "own_prefix_rw" ? CheckRecord.Incomplete(c.Store, c.Test, "redis unreachable") with { Step = c.Step } : c);
        var globex = _evidence.WriteTenant("globex");
        File.AppendAllText(globex, " ");
        var controls = Hdf(_evidence.Model())["profiles"]![0]!["controls"]!.AsArray();

        JsonNode Result(string control, string tenant) => controls.Single(c => c!["id"]!.GetValue<string>() == control)!["results"]!.AsArray()
            .Single(r => r!["resource_id"]!.GetValue<string>() == tenant)!;
        Assert.Equal("error", Result("redis/own_prefix_rw", "acme")["status"]!.GetValue<string>());
        Assert.Equal("incomplete: redis unreachable", Result("redis/own_prefix_rw", "acme")["message"]!.GetValue<string>());
        Assert.Equal("error", Result("postgresql/cross_db_connect", "globex")["status"]!.GetValue<string>());
        Assert.StartsWith("evidence failed verification", Result("postgresql/cross_db_connect", "globex")["message"]!.GetValue<string>());
        Assert.Equal("failed", Result(HdfReportWriter.EvidenceControl, "globex")["status"]!.GetValue<string>());
        Assert.Equal("passed", Result(HdfReportWriter.EvidenceControl, "acme")["status"]!.GetValue<string>());
        Assert.NotNull(acme);
    }

    private static string EvidenceTestEnvironmentSha(string path) => Tests.Evidence.EvidenceTestEnvironment.Sha256Hex(path);
}
