using RunbookHost.Runbooks;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using RunbookHost.Keys.KeyRing;
using RunbookHost.Tenants;
using RunbookHost.Tests.Host;
using RunbookHost.Tests.Support;

namespace RunbookHost.Tests.Keys.KeyRing;

/// <summary>
/// One compiled-runbook cache for the whole class, so each runbook is compiled once. Entries are authenticated with
/// the host's compile-cache key, so every host of the class gets the same key in its secrets folder.
/// </summary>
public sealed class SharedRunbookCache : IDisposable
{
    private readonly byte[] key = RandomNumberGenerator.GetBytes(32);

    public string Folder { get; } = Directory.CreateTempSubdirectory("rbh-keyring-cache-").FullName;

    public void ShareKeyWith(HostProcess host)
    {
        if (OperatingSystem.IsWindows())
            return;
        Directory.CreateDirectory(host.SecretsDir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var path = Path.Combine(host.SecretsDir, RunbookHost.Cli.Scripting.CompileCacheSeal.KeyFileName);
        using var file = new FileStream(path, new FileStreamOptions
        {
            Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        });
        file.Write(key);
    }

    public void Dispose()
    {
        try { Directory.Delete(Folder, recursive: true); } catch (IOException) { }
    }
}

/// <summary>
/// The product runbooks (runbooks/rotate-keys.csx, runbooks/purge-archived-keys.csx) run by the real host
/// as a separate process — including being killed with SIGKILL at every step boundary of a rotation.
/// </summary>
public sealed class RotateKeysRunbookTests(SharedRunbookCache cache) : IClassFixture<SharedRunbookCache>
{
    private const int KilledBySigkill = 128 + 9;
    private static readonly TenantId Tenant = TenantId.Parse("acme");

    private async Task<HostProcess> NewHostAsync()
    {
        var host = new HostProcess();
        var repoRunbooks = Path.Combine(TenantKeyRingTests.RepositoryRoot(), "runbooks");
        foreach (var name in new[] { "rotate-keys.csx", "purge-archived-keys.csx" })
            host.WriteRunbook(name, File.ReadAllText(Path.Combine(repoRunbooks, name)));
        host.Environment["RUNBOOKHOST_Paths__Cache"] = cache.Folder;
        cache.ShareKeyWith(host);
        await host.Lock();
        return host;
    }

    private static TenantKeyRing Ring(HostProcess host, TimeProvider? clock = null) => new(host.SecretsDir, clock);

    private static async Task<TenantSecrets> ProvisionAsync(TenantKeyRing ring)
    {
        await ring.EnsureKey(Tenant).ApplyAsync(CancellationToken.None);
        await ring.EnsureSecrets(Tenant).ApplyAsync(CancellationToken.None);
        return ring.LoadSecrets(Tenant);
    }

    private static async Task<JsonNode> RotateAsync(HostProcess host, string reason = "scheduled")
    {
        var run = await host.Run("run", "rotate-keys", "--tenant", Tenant.Value, "--param", $"reason={reason}", "--json");
        Assert.True(run.ExitCode == 0, run.StandardOutput + run.StandardError);
        return JsonNode.Parse(run.StandardOutput)!;
    }

    [Fact]
    public void TheRepositoryLockFilePinsTheKeyRunbooksAsTheyAre()
    {
        var catalog = new RunbookHost.Runbooks.RunbookCatalog(Path.Combine(TenantKeyRingTests.RepositoryRoot(), "runbooks"));

        foreach (var name in new[] { "rotate-keys", "purge-archived-keys" })
            Assert.Null(catalog.ReadLock().Problem(catalog.Find(name)));
    }

    [Fact]
    public async Task TheRotateKeysRunbookRotatesTheKeyAndRecordsEveryStepInVerifiableEvidence()
    {
        using var host = await NewHostAsync();
        var ring = Ring(host);
        var before = await ProvisionAsync(ring);
        var oldKey = ring.PublicKey(Tenant);

        var outcome = await RotateAsync(host);

        var result = outcome["result"]!;
        Assert.Equal(oldKey, result["old_public_key"]!.GetValue<string>());
        Assert.Equal(ring.PublicKey(Tenant), result["new_public_key"]!.GetValue<string>());
        Assert.NotEqual(oldKey, ring.PublicKey(Tenant));
        Assert.False(result["resumed"]!.GetValue<bool>());
        Assert.True(ring.LoadSecrets(Tenant).HasSameValuesAs(before));
        Assert.Equal(oldKey, Assert.Single(ring.ArchivedKeys(Tenant)).PublicKey);
        var evidence = EvidenceText(outcome);
        foreach (var step in new[] { "§7.2 1. generate the new key", "§7.2 3. rotate", "§7.2 5. archive the old key", "§7.2 6. promote", "§7.2 8. complete" })
            Assert.Contains(step, evidence);
        Assert.Contains("skipped: disabled: the registry lives on PostgreSQL", evidence);
        Assert.DoesNotContain(before.PostgresPassword, evidence);
        var verify = await host.VerifyEvidenceOffline();
        Assert.True(verify.ExitCode == 0, verify.StandardOutput + verify.StandardError);
    }

    [Fact]
    public async Task ADryRunOfRotateKeysListsTheStepsAndChangesNoFile()
    {
        using var host = await NewHostAsync();
        var ring = Ring(host);
        await ProvisionAsync(ring);
        var snapshot = Snapshot(ring.Files(Tenant).Folder);

        var run = await host.Run("run", "rotate-keys", "--tenant", Tenant.Value, "--param", "reason=emergency", "--dry-run");

        Assert.True(run.ExitCode == 0, run.StandardError);
        Assert.Contains("[dry-run] §7.2 1. generate the new key as key-new.age: if absent: create tenants/acme/key-new.age", run.StandardError);
        Assert.Contains("credentials regenerated (§7.4)", run.StandardError);
        Assert.Equal(snapshot, Snapshot(ring.Files(Tenant).Folder));
    }

    public static TheoryData<string> KillPoints() =>
        new(CrashTestHook.RotationPoints.Where(p => p != "rotate:registry" && p != "rotate:complete"));

    [Theory]
    [MemberData(nameof(KillPoints))]
    public async Task ARotationKilledWithSigkillAtAStepBoundaryLeavesDecryptableSecretsAndTheRerunCompletesItOnce(string killPoint)
    {
        using var host = await NewHostAsync();
        var ring = Ring(host);
        var before = await ProvisionAsync(ring);
        var files = ring.Files(Tenant);
        var oldKey = ring.PublicKey(Tenant);

        host.Environment[CrashTestHook.Variable] = killPoint;
        var killed = await host.Run("run", "rotate-keys", "--tenant", Tenant.Value, "--param", "reason=scheduled", "--json");

        Assert.True(killed.ExitCode == KilledBySigkill, $"expected SIGKILL at {killPoint}, got {killed.ExitCode}: {killed.StandardError}");
        Assert.NotEmpty(ring.KeysThatDecryptSecrets(Tenant));
        Assert.True(File.Exists(files.Journal), "the rotation journal marks the rotation unfinished");
        var newKeyAtKill = File.Exists(files.NewKey) ? KeyRecipient(files.NewKey)
            : ring.PublicKey(Tenant) != oldKey ? ring.PublicKey(Tenant) : null;

        host.Environment.Remove(CrashTestHook.Variable);
        var outcome = await RotateAsync(host);

        Assert.True(outcome["result"]!["resumed"]!.GetValue<bool>());
        Assert.Equal(oldKey, outcome["result"]!["old_public_key"]!.GetValue<string>());
        var newKey = ring.PublicKey(Tenant);
        Assert.NotEqual(oldKey, newKey);
        if (newKeyAtKill is not null)
            Assert.Equal(newKeyAtKill, newKey);
        Assert.Equal(oldKey, Assert.Single(ring.ArchivedKeys(Tenant)).PublicKey);
        Assert.Equal(["key.age"], ring.KeysThatDecryptSecrets(Tenant));
        Assert.True(ring.LoadSecrets(Tenant).HasSameValuesAs(before));
        Assert.Equal(newKey + "\n", File.ReadAllText(files.PublicKey));
        Assert.False(File.Exists(files.NewKey));
        Assert.False(File.Exists(files.Journal));
    }

    [Fact]
    public async Task ARotationKilledJustAfterItCompletedIsAlreadyCompleteWithNothingToResume()
    {
        using var host = await NewHostAsync();
        var ring = Ring(host);
        var before = await ProvisionAsync(ring);
        var oldKey = ring.PublicKey(Tenant);
        host.Environment[CrashTestHook.Variable] = "rotate:complete";

        var killed = await host.Run("run", "rotate-keys", "--tenant", Tenant.Value, "--param", "reason=personnel");

        Assert.Equal(KilledBySigkill, killed.ExitCode);
        Assert.NotEqual(oldKey, ring.PublicKey(Tenant));
        Assert.Equal(["key.age"], ring.KeysThatDecryptSecrets(Tenant));
        Assert.Equal(oldKey, Assert.Single(ring.ArchivedKeys(Tenant)).PublicKey);
        Assert.False(ring.RotationInProgress(Tenant));
        Assert.True(ring.LoadSecrets(Tenant).HasSameValuesAs(before));
    }

    [Fact]
    public async Task TwoConcurrentRotateKeysRunsSerializeAndBothSucceed()
    {
        using var host = await NewHostAsync();
        var ring = Ring(host);
        var before = await ProvisionAsync(ring);
        var original = ring.PublicKey(Tenant);

        var runs = await Task.WhenAll(
            host.Run("run", "rotate-keys", "--tenant", Tenant.Value, "--param", "reason=scheduled", "--json"),
            host.Run("run", "rotate-keys", "--tenant", Tenant.Value, "--param", "reason=personnel", "--json"));

        Assert.All(runs, r => Assert.True(r.ExitCode == 0, r.StandardOutput + r.StandardError));
        var results = runs.Select(r => JsonNode.Parse(r.StandardOutput)!["result"]!).ToList();
        var first = results.Single(r => r["old_public_key"]!.GetValue<string>() == original);
        var second = results.Single(r => r != first);
        Assert.Equal(first["new_public_key"]!.GetValue<string>(), second["old_public_key"]!.GetValue<string>());
        Assert.Equal(second["new_public_key"]!.GetValue<string>(), ring.PublicKey(Tenant));
        Assert.Equal(
            [original, first["new_public_key"]!.GetValue<string>()],
            ring.ArchivedKeys(Tenant).Select(a => a.PublicKey));
        Assert.Equal(["key.age"], ring.KeysThatDecryptSecrets(Tenant));
        Assert.True(ring.LoadSecrets(Tenant).HasSameValuesAs(before));
    }

    [Fact]
    public async Task PurgeArchivedKeysShredsOnlyKeysOlderThanTheRetention()
    {
        using var host = await NewHostAsync();
        var now = DateTimeOffset.UtcNow;
        var clock = new FixedClock(now.AddDays(-200));
        var ring = Ring(host, clock);
        await ProvisionAsync(ring);
        foreach (var daysAgo in new[] { 200, 10 })
        {
            clock.Now = now.AddDays(-daysAgo);
            var rotation = ring.Rotation(Tenant, KeyRotation.Scheduled);
            foreach (var (_, make) in KeyRingTestEnvironment.Steps)
                await make(rotation).ApplyAsync(CancellationToken.None);
        }
        var archived = ring.ArchivedKeys(Tenant);
        Assert.Equal(2, archived.Count);

        var run = await host.Run("run", "purge-archived-keys", "--tenant", Tenant.Value, "--param", "retention-days=90", "--json");

        Assert.True(run.ExitCode == 0, run.StandardOutput + run.StandardError);
        Assert.False(File.Exists(archived[0].Path));
        Assert.True(File.Exists(archived[1].Path));
        var outcome = JsonNode.Parse(run.StandardOutput)!;
        Assert.Equal(archived[0].FileName, outcome["result"]!["purged"]![0]!.GetValue<string>());
        var evidence = EvidenceText(outcome);
        Assert.Contains("archived_key_purged " + archived[0].FileName, evidence);
        Assert.Equal(["key.age"], ring.KeysThatDecryptSecrets(Tenant));
    }

    /// <summary>The run record inside the evidence's DSSE envelope (base64 payload), as text.</summary>
    [Fact]
    public async Task AFutureDatedEvidenceFilePlantedByTheWorkingFolderWriterStopsRotateKeysBeforeItTouchesTheKey()
    {
        using var host = await NewHostAsync();
        var ring = Ring(host);
        await ProvisionAsync(ring);
        var keyFiles = Snapshot(ring.Files(Tenant).Folder);
        var chain = Path.Combine(host.EvidenceDir, Tenant.Value);
        Directory.CreateDirectory(chain);
        var planted = Path.Combine(chain, "20991231T235959.000Z-rotate-keys.json");
        File.WriteAllText(planted, "{}");

        var run = await host.Run("run", "rotate-keys", "--tenant", Tenant.Value, "--param", "reason=scheduled");

        Assert.True(run.ExitCode == 2, run.StandardOutput + run.StandardError);
        Assert.Contains("20991231T235959.000Z-rotate-keys.json is dated after now", run.StandardError);
        Assert.Equal(keyFiles, Snapshot(ring.Files(Tenant).Folder));
        Assert.Empty(ring.ArchivedKeys(Tenant));
        Assert.Equal([planted], Directory.GetFiles(chain, "*.json"));
    }

    private static string EvidenceText(JsonNode outcome)
    {
        var envelope = JsonNode.Parse(File.ReadAllText(outcome["evidence"]!.GetValue<string>()))!;
        var payload = Convert.FromBase64String(envelope["payload"]!.GetValue<string>());
        return JsonNode.Parse(payload)!.ToJsonString(new System.Text.Json.JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
    }

    private static string KeyRecipient(string keyFile) => AgeCliKeyService.PublicKeyOf(keyFile)[0];

    private static Dictionary<string, string> Snapshot(string folder) =>
        Directory.EnumerateFiles(folder).ToDictionary(f => Path.GetFileName(f), f => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(f))));
}
