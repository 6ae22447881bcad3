using RunbookHost.Evidence;
using RunbookHost.Registry;
using RunbookHost.Tests.Host;
using RunbookHost.Tests.Support;

namespace RunbookHost.Tests.Evidence;

/// <summary>`evidence rotate-key` on the real host with a real registry: recorded, endorsed, and every file still verifies.</summary>
public sealed class EvidenceKeyRotationHostTests : IAsyncLifetime
{
    private readonly HostProcess _host = new();
    private readonly TenantRegistry _registry = new(TestServers.PostgresAdmin, TestServers.NewDatabaseName("rbh_evidence_keys"));

    public Task InitializeAsync()
    {
        _host.Environment["RUNBOOKHOST_Postgres__AdminConnectionString"] = TestServers.PostgresAdmin;
        _host.Environment["RUNBOOKHOST_Registry__Database"] = _registry.Database;
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        _host.Dispose();
        await RunbookHost.Tests.Registry.RegistryDatabase.Drop(_registry);
    }

    [Fact]
    public async Task ARotationIsRecordedAndEndorsedAndOldAndNewFilesVerifyEachByItsKey()
    {
        _host.WriteRunbook("answer.csx", RunbookSources.Answer);
        await _host.Lock();
        Assert.Equal(0, (await _host.Run("run", "answer", "--tenant", "acme")).ExitCode);
        var oldKeyFile = Path.Combine(_host.WorkDir, "old-key.pub.pem");
        File.Copy(_host.TrustedKeyFile(), oldKeyFile);
        var oldId = EvidenceSigner.ComputeKeyId(EvidenceSigner.LoadPublicKey(oldKeyFile));
        Assert.Equal(oldId, Assert.Single(await _registry.ListSigningKeysAsync()).KeyId); // registered on first use

        var rotate = await _host.Run("evidence", "rotate-key", "--reason", "personnel");
        Assert.True(rotate.ExitCode == 0, rotate.StandardOutput + rotate.StandardError);
        Assert.Equal(0, (await _host.Run("run", "answer", "--tenant", "acme")).ExitCode);

        var keys = await _registry.ListSigningKeysAsync();
        var newId = Assert.Single(keys, k => k.KeyId != oldId).KeyId;
        var retired = Assert.Single(keys, k => k.KeyId == oldId);
        Assert.Equal((newId, "personnel"), (retired.SuccessorKeyId, retired.RotationReason));
        Assert.NotNull(retired.RetiredAt);
        Assert.Contains(await _registry.ListAuditAsync(null), e => e.EventType == TenantRegistry.SigningKeyRotatedEvent && e.Details.Contains(newId));
        Assert.Contains($"{oldId} -> {newId}", rotate.StandardOutput);
        Assert.True(File.Exists(Path.Combine(_host.EvidenceDir, "_keys", oldId + ".rotation.json")));
        Assert.Equal([EvidenceFormat.PrivateKeyFileName], Directory.GetFiles(_host.SecretsDir, "evidence-signing-key*.pem").Select(Path.GetFileName));

        // Online: the registry's keys; offline: only the old key, followed through its signed endorsement of the new one.
        foreach (var verify in new[] { await _host.Run("evidence", "verify", _host.EvidenceDir),
                                       await _host.Run("evidence", "verify", _host.EvidenceDir, "--no-registry", "--key", oldKeyFile) })
        {
            Assert.True(verify.ExitCode == 0, verify.StandardOutput + verify.StandardError);
            var files = verify.StandardOutput.Split('\n').Where(l => l.StartsWith("ok      ", StringComparison.Ordinal)).ToList();
            Assert.Equal(2, files.Count);
            Assert.EndsWith($"key {oldId}", files[0]);
            Assert.EndsWith($"key {newId}", files[1]);
        }
    }

    [Fact]
    public async Task AKeyTheRegistryRetiredIsNeverUsedToSign()
    {
        _host.WriteRunbook("answer.csx", RunbookSources.Answer);
        await _host.Lock();
        Assert.Equal(0, (await _host.Run("run", "answer", "--tenant", "acme")).ExitCode);
        var oldKey = File.ReadAllBytes(Path.Combine(_host.SecretsDir, EvidenceFormat.PrivateKeyFileName));
        Assert.Equal(0, (await _host.Run("evidence", "rotate-key")).ExitCode);

        // Someone restores the old (retired) key file: the host must not sign with it.
        var keyPath = Path.Combine(_host.SecretsDir, EvidenceFormat.PrivateKeyFileName);
        File.WriteAllBytes(keyPath, oldKey);
        File.Copy(Path.Combine(_host.EvidenceDir, "_keys", Directory.GetFiles(Path.Combine(_host.EvidenceDir, "_keys"), "*.rotation.json")
            .Select(Path.GetFileName).Single()!.Replace(".rotation.json", ".pub.pem")), Path.Combine(_host.EvidenceDir, EvidenceFormat.PublicKeyFileName), overwrite: true);
        var run = await _host.Run("run", "answer", "--tenant", "acme");
        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains("was retired", run.StandardError);
        Assert.Single(Directory.GetFiles(Path.Combine(_host.EvidenceDir, "acme"), "*.json"));
    }
}
