using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using CliWrap.Buffered;
using Npgsql;
using RunbookHost.Evidence;
using RunbookHost.Tests.Host;
using RunbookHost.Tests.Support;

namespace RunbookHost.Tests.Evidence;

/// <summary>
/// Real runs of the real host, recorded in a real registry, whose evidence an auditor holds heads for; each test attacks
/// a copy of that evidence the way someone who can write the working folder would, and `evidence verify` must fail
/// (exit 3) naming the problem, both offline (pinned key + published heads) and online (the registry).
/// </summary>
public sealed class EvidenceAttackFixture : IAsyncLifetime
{
    public HostProcess Host { get; } = new();
    public string RegistryDatabase { get; } = TestServers.NewDatabaseName("rbh_evidence");
    public string PublishedHeads => Path.Combine(Host.WorkDir, "auditor-heads.json");
    public string PinnedKey => Path.Combine(Host.WorkDir, "auditor-key.pub.pem");

    public async Task InitializeAsync()
    {
        Host.Environment["RUNBOOKHOST_Postgres__AdminConnectionString"] = TestServers.PostgresAdmin;
        Host.Environment["RUNBOOKHOST_Registry__Database"] = RegistryDatabase;
        Host.WriteRunbook("answer.csx", RunbookSources.Answer);
        await Host.Lock();
        foreach (var tenant in new[] { "acme", "acme", "acme", "globex", "globex" })
        {
            var run = await Host.Run("run", "answer", "--tenant", tenant);
            Assert.True(run.ExitCode == 0, run.StandardOutput + run.StandardError);
        }
        var heads = await Host.Run("evidence", "heads", "--out", PublishedHeads);
        Assert.True(heads.ExitCode == 0, heads.StandardOutput + heads.StandardError);
        File.Copy(Host.TrustedKeyFile(), PinnedKey);
    }

    public async Task DisposeAsync()
    {
        Host.Dispose();
        await using var admin = new NpgsqlConnection(TestServers.PostgresAdmin);
        await admin.OpenAsync();
        await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{RegistryDatabase}\" WITH (FORCE)", admin);
        await drop.ExecuteNonQueryAsync();
    }
}

public sealed class EvidenceAttackTests(EvidenceAttackFixture fixture) : IClassFixture<EvidenceAttackFixture>, IDisposable
{
    private readonly string _copy = CopyOf(fixture.Host.EvidenceDir);

    public void Dispose() => Directory.Delete(Path.GetDirectoryName(_copy)!, recursive: true);

    private string Chain(string tenant) => Path.Combine(_copy, tenant);

    private string Newest(string tenant) => Directory.GetFiles(Chain(tenant), "*.json").Order(StringComparer.Ordinal).Last();

    private Task<BufferedCommandResult> VerifyOffline() =>
        fixture.Host.Run("evidence", "verify", _copy, "--no-registry", "--key", fixture.PinnedKey, "--heads", fixture.PublishedHeads);

    private Task<BufferedCommandResult> VerifyOnline() => fixture.Host.Run("evidence", "verify", _copy);

    private static void AssertDetected(BufferedCommandResult verify, params string[] named)
    {
        Assert.True(verify.ExitCode == 3, $"exit {verify.ExitCode}\n{verify.StandardOutput}{verify.StandardError}");
        foreach (var text in named)
            Assert.Contains(text, verify.StandardOutput);
    }

    [Fact]
    public async Task UntouchedEvidenceVerifiesInBothModesAndEachFileNamesItsKey()
    {
        var offline = await VerifyOffline();
        Assert.True(offline.ExitCode == 0, offline.StandardOutput + offline.StandardError);
        Assert.Contains("registry: not checked (--no-registry)", offline.StandardOutput);
        Assert.Contains($"heads: local heads and the published heads in {fixture.PublishedHeads}", offline.StandardOutput);
        var keyId = EvidenceSigner.ComputeKeyId(EvidenceSigner.LoadPublicKey(fixture.PinnedKey));
        Assert.Equal(5, offline.StandardOutput.Split('\n').Count(l => l.StartsWith("ok      ", StringComparison.Ordinal) && l.EndsWith($"key {keyId}", StringComparison.Ordinal)));

        var online = await VerifyOnline();
        Assert.True(online.ExitCode == 0, online.StandardOutput + online.StandardError);
        Assert.Contains($"registry: cross-checked (database {fixture.RegistryDatabase}, 5 runs)", online.StandardOutput);
        Assert.Contains($"trusted keys: {keyId} (registry)", online.StandardOutput);
    }

    [Fact]
    public async Task AKeyIdPinnedInConfigurationIsEnoughOffline()
    {
        var keyId = EvidenceSigner.ComputeKeyId(EvidenceSigner.LoadPublicKey(fixture.PinnedKey));
        fixture.Host.Environment["RUNBOOKHOST_Evidence__TrustedKeys__0"] = keyId;
        try
        {
            var verify = await fixture.Host.Run("evidence", "verify", _copy, "--no-registry");
            Assert.True(verify.ExitCode == 0, verify.StandardOutput + verify.StandardError);
            Assert.Contains($"trusted keys: {keyId} (configuration Evidence:TrustedKeys)", verify.StandardOutput);
        }
        finally
        {
            fixture.Host.Environment.Remove("RUNBOOKHOST_Evidence__TrustedKeys__0");
        }
    }

    [Fact]
    public async Task DeletingTheNewestFileOfATenantIsDetected()
    {
        File.Delete(Newest("acme"));
        AssertDetected(await VerifyOffline(), "PROBLEM truncated-chain  acme: the published head names acme/");
        AssertDetected(await VerifyOnline(), "PROBLEM truncated-chain  acme: the registry records 1 newer run(s) whose evidence is not in the chain");
    }

    [Fact]
    public async Task DeletingAWholeTenantFolderAndItsHeadIsDetected()
    {
        Directory.Delete(Chain("globex"), recursive: true);
        File.Delete(ChainHead.PathFor(_copy, "globex"));
        AssertDetected(await VerifyOffline(), "PROBLEM missing-folder  globex: the published head names globex/");
        AssertDetected(await VerifyOnline(), "PROBLEM missing-folder  globex: the registry records 2 run(s) with evidence in globex");
    }

    [Fact]
    public async Task RenamingATenantFolderToADotNameIsDetected()
    {
        Directory.Move(Chain("globex"), Path.Combine(_copy, ".globex"));
        File.Delete(ChainHead.PathFor(_copy, "globex"));
        var hidden = $"PROBLEM unexpected-entry  {Path.Combine(_copy, ".globex")}/: a hidden folder";
        AssertDetected(await VerifyOffline(), "PROBLEM missing-folder  globex: the published head", hidden);
        AssertDetected(await VerifyOnline(), "PROBLEM missing-folder  globex: the registry records", hidden);
    }

    [Fact]
    public async Task RenamingTheNewestFileToABackupNameIsDetected()
    {
        var newest = Newest("acme");
        File.Move(newest, newest + ".bak");
        var renamed = $"PROBLEM unexpected-entry  {newest}.bak: not an evidence file name (a renamed evidence file?)";
        AssertDetected(await VerifyOffline(), "PROBLEM truncated-chain  acme: the published head", renamed);
        AssertDetected(await VerifyOnline(), "PROBLEM truncated-chain  acme: the registry records", renamed);
    }

    [Fact]
    public async Task ContentChangedAndReSignedWithAnotherKeyBesideASwappedPublicKeyIsDetected()
    {
        // The attacker rewrites the newest run's result, signs it with their own key in the writer's exact envelope form,
        // and replaces every public key and the chain head in the tree with their own.
        using var attacker = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var attackerId = EvidenceSigner.ComputeKeyId(attacker);
        var newest = Newest("acme");
        var envelope = JsonNode.Parse(File.ReadAllText(newest))!;
        var payload = Encoding.UTF8.GetString(Convert.FromBase64String(envelope["payload"]!.GetValue<string>()));
        Assert.Contains("\"greeting\":\"hello\"", payload);
        var forged = Encoding.UTF8.GetBytes(payload.Replace("\"greeting\":\"hello\"", "\"greeting\":\"hi\""));
        File.WriteAllBytes(newest, SignAs(attacker, forged));
        var attackerPem = attacker.ExportSubjectPublicKeyInfoPem() + "\n";
        File.WriteAllText(Path.Combine(_copy, EvidenceFormat.PublicKeyFileName), attackerPem);
        File.WriteAllText(Path.Combine(_copy, EvidenceFormat.KeysFolder, attackerId + ".pub.pem"), attackerPem);
        var head = JsonNode.Parse(File.ReadAllText(ChainHead.PathFor(_copy, "acme")))!;
        var headPayload = Encoding.UTF8.GetString(Convert.FromBase64String(head["payload"]!.GetValue<string>()));
        File.WriteAllBytes(ChainHead.PathFor(_copy, "acme"), SignAs(attacker, Encoding.UTF8.GetBytes(headPayload)));

        var untrusted = $"FAILED  {newest}: untrusted-key: signed by key {attackerId}, which is not pinned";
        AssertDetected(await VerifyOffline(), untrusted, "PROBLEM bad-head");
        AssertDetected(await VerifyOnline(), untrusted, "PROBLEM truncated-chain  acme: the registry records 1 newer run(s)");

        // With nothing pinned, the key beside the evidence is not taken instead: verify refuses to run at all.
        var unpinned = await fixture.Host.Run("evidence", "verify", _copy, "--no-registry");
        Assert.Equal(2, unpinned.ExitCode);
        Assert.Contains("no trusted evidence key: pin one with --key", unpinned.StandardError);
    }

    private static byte[] SignAs(ECDsa key, byte[] payload)
    {
        var signature = EcdsaLowS.Normalize(key.SignData(DssePae.Encode(EvidenceFormat.PayloadType, payload), HashAlgorithmName.SHA256,
            DSASignatureFormat.Rfc3279DerSequence));
        return EvidenceFormat.SerializeEnvelope(EvidenceFormat.PayloadType, payload, EvidenceSigner.ComputeKeyId(key), signature);
    }

    private static string CopyOf(string evidence)
    {
        var scratch = Directory.CreateTempSubdirectory("rbh-attack-").FullName;
        var copy = Path.Combine(scratch, "evidence");
        foreach (var file in Directory.EnumerateFiles(evidence, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(copy, Path.GetRelativePath(evidence, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
        return copy;
    }
}
