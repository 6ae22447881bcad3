using System.Text.Json;
using System.Text.Json.Nodes;
using RunbookHost.Evidence;

namespace RunbookHost.Tests.Evidence;

/// <summary>A throwaway secrets + evidence folder pair, a signer, a writer and a clock.</summary>
public sealed class EvidenceTestEnvironment : IDisposable
{
    public static readonly DateTimeOffset T0 = new(2026, 11, 27, 21, 15, 0, 123, TimeSpan.Zero);

    public EvidenceTestEnvironment()
    {
        Root = Path.Combine(Path.GetTempPath(), "rbh-evidence-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Root);
        Secrets = Path.Combine(Root, ".secrets");
        EvidenceRoot = Path.Combine(Root, "evidence");
        Signer = EvidenceSigner.LoadOrCreate(Secrets, EvidenceRoot);
        Writer = new EvidenceWriter(Signer, EvidenceRoot, Clock);
    }

    public string Root { get; }
    public string Secrets { get; }
    public string EvidenceRoot { get; }
    public ManualClock Clock { get; } = new(T0.AddHours(1));
    public EvidenceSigner Signer { get; }
    public EvidenceWriter Writer { get; }
    public string PublicKeyPath => Path.Combine(EvidenceRoot, EvidenceFormat.PublicKeyFileName);

    public static RunRecord Record(DateTimeOffset startedAt, string tenant = "acme", string runbook = "provision",
        IReadOnlyDictionary<string, string>? parameters = null)
    {
        var record = new RunRecord
        {
            Runbook = runbook,
            RunbookVersion = "1.2.0",
            RunbookFile = $"{runbook}.csx",
            RunbookSha256 = new string('a', 64),
            Tenant = tenant,
            Parameters = parameters ?? new Dictionary<string, string> { ["region"] = "eu-west" },
            DryRun = false,
            StartedAt = startedAt,
            FinishedAt = startedAt.AddSeconds(3),
            HostVersion = "0.1.0",
            Operator = "alice",
            OverallPass = true,
            Result = JsonNode.Parse("""{"bucket":"tenant-acme-bucket","count":2}"""),
        };
        record.Steps.Add(new StepRecord("create bucket", StepStatus.Succeeded, 12.5));
        record.Steps.Add(new StepRecord("create role", StepStatus.Succeeded, 3, "role tenant_acme_user"));
        record.Checks.Add(new CheckRecord("postgres", "other tenant cannot connect", "DENIED", startedAt.AddSeconds(2), true));
        return record;
    }

    /// <summary>Writes <paramref name="count"/> runs for one tenant, a minute apart; returns their paths in order.</summary>
    public List<string> WriteChain(int count, string tenant = "acme")
    {
        var paths = new List<string>();
        for (var i = 0; i < count; i++)
            paths.Add(Writer.Write(Record(T0.AddMinutes(i), tenant)));
        return paths;
    }

    /// <summary>Verifies with this environment's public key pinned (or <paramref name="keyPath"/>'s).</summary>
    public EvidenceReport Verify(string path, string? keyPath = null, string? published = null) =>
        EvidenceVerifier.Verify(path, EvidenceVerifyOptions.WithKeyFile(keyPath ?? PublicKeyPath) with { PublishedHeads = published });

    /// <summary>The per-file verdicts of <see cref="Verify"/>.</summary>
    public IReadOnlyList<EvidenceFileResult> Files(string path, string? keyPath = null) => Verify(path, keyPath).Files;

    public static JsonElement Payload(string path)
    {
        using var envelope = JsonDocument.Parse(File.ReadAllBytes(path));
        var payload = Convert.FromBase64String(envelope.RootElement.GetProperty("payload").GetString()!);
        return JsonDocument.Parse(payload).RootElement.Clone();
    }

    public static string Sha256Hex(string path) =>
        Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(path)));

    public void Dispose()
    {
        Signer.Dispose();
        try { Directory.Delete(Root, recursive: true); } catch (IOException) { }
    }
}

public sealed class ManualClock(DateTimeOffset now) : TimeProvider
{
    public DateTimeOffset Now { get; set; } = now;
    public override DateTimeOffset GetUtcNow() => Now;
}
