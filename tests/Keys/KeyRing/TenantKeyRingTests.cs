using RunbookHost.IO;
using RunbookHost.Keys.KeyRing;
using RunbookHost.Keys.Sops;
using RunbookHost.Tests.Support;
using static RunbookHost.Tests.Keys.KeyRing.KeyRingTestEnvironment;
using SopsApi = RunbookHost.Keys.Sops.Sops;

namespace RunbookHost.Tests.Keys.KeyRing;

public sealed class TenantKeyRingTests : IDisposable
{
    private readonly KeyRingTestEnvironment env = new();

    public void Dispose() => env.Dispose();

    [Fact]
    public async Task ProvisioningCreatesThePrivateLayoutWithOwnerOnlyModes()
    {
        await env.ProvisionAsync();
        var files = env.Files;

        Assert.Equal(AtomicFile.PrivateFolder, Mode(env.SecretsRoot));
        Assert.Equal(AtomicFile.PrivateFolder, Mode(files.TenantsFolder));
        Assert.Equal(AtomicFile.PrivateFolder, Mode(files.Folder));
        Assert.Equal(AtomicFile.PrivateFile, Mode(files.Key));
        Assert.Equal(AtomicFile.PrivateFile, Mode(files.Secrets));
        Assert.Equal(
            new[] { "key.age", "key.pub", "secrets.enc.yaml" },
            Directory.EnumerateFiles(files.Folder).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToArray());
    }

    [Fact]
    public async Task TheKeyFileIsInAgeKeygenFormatAndKeyPubHoldsItsRecipient()
    {
        await env.ProvisionAsync();
        var lines = File.ReadAllLines(env.Files.Key);

        Assert.StartsWith("# created: 2026-11-27T09:30:00Z", lines[0]);
        Assert.StartsWith("# public key: age1", lines[1]);
        Assert.StartsWith("AGE-SECRET-KEY-1", lines[2]);
        Assert.Equal(AgeCliKeyService.PublicKeyOf(env.Files.Key)[0] + "\n", File.ReadAllText(env.Files.PublicKey));
        Assert.Equal(env.Ring.PublicKey(env.Tenant), File.ReadAllText(env.Files.PublicKey).Trim());
    }

    [Fact]
    public async Task EnsureKeyAndEnsureSecretsAreIdempotent()
    {
        var first = await env.ProvisionAsync();
        var key = File.ReadAllText(env.Files.Key);
        var secrets = File.ReadAllBytes(env.Files.Secrets);

        var second = await env.ProvisionAsync();

        Assert.Equal(key, File.ReadAllText(env.Files.Key));
        Assert.Equal(secrets, File.ReadAllBytes(env.Files.Secrets));
        Assert.True(first.HasSameValuesAs(second));
    }

    [Fact]
    public async Task EnsureKeyRepairsAMissingKeyPubFromTheKeyItself()
    {
        await env.ProvisionAsync();
        File.Delete(env.Files.PublicKey);

        await Apply(env.Ring.EnsureKey(env.Tenant));

        Assert.Equal(env.Ring.PublicKey(env.Tenant) + "\n", File.ReadAllText(env.Files.PublicKey));
    }

    [Fact]
    public async Task EnsureKeyRefusesToCreateAKeyForASecretsFileThatHasNone()
    {
        await env.ProvisionAsync();
        File.Delete(env.Files.Key);

        var error = await Assert.ThrowsAsync<KeyRingException>(() => Apply(env.Ring.EnsureKey(env.Tenant)));

        Assert.Contains("cannot decrypt it", error.Message);
        Assert.False(File.Exists(env.Files.Key));
    }

    [Fact]
    public async Task GeneratedSecretsFollowTheSchemaAndAreStrongAndDistinct()
    {
        var secrets = await env.ProvisionAsync();

        Assert.Equal(TenantSecrets.Schema, secrets.Values.Select(v => v.Key));
        Assert.Equal("tenant-acme-access", secrets.MinioAccessKey);
        var generated = TenantSecrets.Generated.Select(n => secrets.Values.Single(v => v.Key == n).Value).ToList();
        Assert.All(generated, v => Assert.Matches("^[A-Za-z0-9_-]{43}$", v));
        Assert.Equal(generated.Count, generated.Distinct().Count());
    }

    [Fact]
    public async Task TenantSecretsNeverPrintValues()
    {
        var secrets = await env.ProvisionAsync();

        var text = secrets.ToString();

        Assert.Contains("postgres_password", text);
        Assert.DoesNotContain(secrets.PostgresPassword, text);
        Assert.DoesNotContain(secrets.MinioSecretKey, text);
        Assert.All(env.Ring.EnsureSecrets(env.Tenant).Describe(), line => Assert.DoesNotContain(secrets.RedisPassword, line));
    }

    [Fact]
    public async Task TheSecretsFileIsSopsEncryptedWithNoPlaintextValueOnDisk()
    {
        var secrets = await env.ProvisionAsync();
        var text = File.ReadAllText(env.Files.Secrets);

        foreach (var (_, value) in secrets.Values)
            Assert.DoesNotContain(value, text);
        Assert.Contains("ENC[AES256_GCM,data:", text);
        Assert.Contains("recipient: " + env.Ring.PublicKey(env.Tenant), text);
        Assert.DoesNotContain(Directory.EnumerateFiles(env.Root, "*", SearchOption.AllDirectories),
            f => File.ReadAllText(f).Contains(secrets.TenantApiKey, StringComparison.Ordinal));
    }

    [Fact]
    public async Task TheRealAgeCliOpensTheDataKeyStanzaWithKeyAge()
    {
        await env.ProvisionAsync();

        var dataKey = await DecryptStanzaWithAgeCli(env.Files.Secrets, env.Files.Key);

        Assert.Equal(32, dataKey.Length);
    }

    [Fact]
    public async Task TheSecretsDecryptThroughOurSopsWithTheRealAgeCliAsKeyService()
    {
        var secrets = await env.ProvisionAsync();

        var values = SopsApi.DecryptToDictionary(File.ReadAllBytes(env.Files.Secrets), SopsFormat.Yaml, new AgeCliKeyService(env.Files.Key));

        Assert.True(TenantSecrets.FromValues(values).HasSameValuesAs(secrets));
    }

    [Fact]
    public async Task ReplaceSecretsReencryptsNewValuesForTheCurrentKey()
    {
        var before = await env.ProvisionAsync();
        var regenerated = before.RegenerateCredentials();

        await Apply(env.Ring.ReplaceSecrets(env.Tenant, regenerated));

        var after = env.Ring.LoadSecrets(env.Tenant);
        Assert.True(after.HasSameValuesAs(regenerated));
        Assert.True(after.SharesNoCredentialWith(before));
        Assert.Equal(before.MinioAccessKey, after.MinioAccessKey);
        Assert.Equal(AtomicFile.PrivateFile, Mode(env.Files.Secrets));
    }

    [Fact]
    public async Task ArchivingAtDeprovisionMovesTheKeyToADatedArchiveThatStillDecrypts()
    {
        var secrets = await env.ProvisionAsync();
        var recipient = env.Ring.PublicKey(env.Tenant);

        await Apply(env.Ring.ArchiveKey(env.Tenant));
        await Apply(env.Ring.ArchiveKey(env.Tenant)); // idempotent

        Assert.False(File.Exists(env.Files.Key));
        var archived = Assert.Single(env.Ring.ArchivedKeys(env.Tenant));
        Assert.Equal("key-20261127-archived.age", archived.FileName);
        Assert.Equal(recipient, archived.PublicKey);
        Assert.Equal(AtomicFile.PrivateFile, Mode(archived.Path));
        Assert.Equal(["key-20261127-archived.age"], env.Ring.KeysThatDecryptSecrets(env.Tenant));
        Assert.True(TenantSecrets.FromValues(SopsApi.DecryptToDictionary(File.ReadAllBytes(env.Files.Secrets), SopsFormat.Yaml,
            RunbookHost.Keys.AgeSopsKeyService.FromKeyFile(archived.Path))).HasSameValuesAs(secrets));
    }

    [Fact]
    public async Task ArchivedKeysOlderThanTheRetentionAreDueAndPurgedOthersAreKept()
    {
        await env.ProvisionAsync();
        await env.RotateAsync();                       // archives key 1 on 2026-11-27
        env.Clock.Now = Start.AddDays(30);
        await env.RotateAsync();                       // archives key 2 on 2026-12-27
        env.Clock.Now = Start.AddDays(89);

        Assert.Empty(env.Ring.ArchivedKeysDueForPurge(env.Tenant, 90));

        env.Clock.Now = Start.AddDays(90);
        var due = Assert.Single(env.Ring.ArchivedKeysDueForPurge(env.Tenant, 90));
        Assert.Equal("key-20261127-archived.age", due.FileName);
        await Apply(env.Ring.PurgeArchivedKey(env.Tenant, due));

        Assert.False(File.Exists(due.Path));
        Assert.Equal(["key-20261227-archived.age"], env.Ring.ArchivedKeys(env.Tenant).Select(a => a.FileName));
        env.AssertSomeKeyDecryptsSecrets();
        Assert.Contains("key.age", env.Ring.KeysThatDecryptSecrets(env.Tenant));
    }

    [Fact]
    public async Task PurgeRefusesAnArchivedKeyThatStillDecryptsTheSecrets()
    {
        await env.ProvisionAsync();
        await Apply(env.Ring.ArchiveKey(env.Tenant));
        env.Clock.Now = Start.AddDays(365);
        var due = Assert.Single(env.Ring.ArchivedKeysDueForPurge(env.Tenant, 90));

        Assert.True(env.Ring.StillDecryptsSecrets(env.Tenant, due));
        var error = await Assert.ThrowsAsync<KeyRingException>(() => Apply(env.Ring.PurgeArchivedKey(env.Tenant, due)));

        Assert.Contains("still decrypts", error.Message);
        Assert.True(File.Exists(due.Path));
        env.AssertSomeKeyDecryptsSecrets();
    }

    [Fact]
    public async Task PurgeIsRefusedWhileARotationIsUnfinished()
    {
        await env.ProvisionAsync();
        await env.RotateAsync();
        var rotation = env.Ring.Rotation(env.Tenant, KeyRotation.Scheduled);
        await Apply(rotation.Begin());
        env.Clock.Now = Start.AddDays(100);
        var due = Assert.Single(env.Ring.ArchivedKeysDueForPurge(env.Tenant, 90));

        await Assert.ThrowsAsync<KeyRingException>(() => Apply(env.Ring.PurgeArchivedKey(env.Tenant, due)));

        Assert.True(File.Exists(due.Path));
    }

    [Fact]
    public async Task ArchiveNamesTakeTheDateAndASequenceWhenADayHasSeveral()
    {
        await env.ProvisionAsync();

        await env.RotateAsync();
        await env.RotateAsync();
        await env.RotateAsync();

        Assert.Equal(
            ["key-20261127-archived.age", "key-20261127-2-archived.age", "key-20261127-3-archived.age"],
            env.Ring.ArchivedKeys(env.Tenant).Select(a => a.FileName));
        Assert.Equal(4, env.Ring.ArchivedKeys(env.Tenant).Select(a => a.PublicKey).Append(env.Ring.PublicKey(env.Tenant)).Distinct().Count());
    }

    [Fact]
    public void TheRepositorySopsYamlRuleMatchesTenantSecretsFilesAndNamesNoRecipient()
    {
        var root = RepositoryRoot();
        var rules = SopsCreationRules.Parse(File.ReadAllText(Path.Combine(root, ".sops.yaml")));

        var rule = rules.RuleFor(Path.Combine(root, ".secrets/tenants/acme/secrets.enc.yaml"), root);

        Assert.Equal(SecretsFileRule.PathRegex, rule.PathRegex);
        Assert.Empty(rule.Age);
        Assert.Equal(SecretsFileRule.EncryptOptions([]) with { AgeRecipients = rule.Age }, rule.ToEncryptOptions());
        Assert.Throws<SopsException>(() => rules.RuleFor(Path.Combine(root, ".secrets/tenants/acme/key.age"), root));
        Assert.Throws<SopsException>(() => rules.RuleFor("tenants/Bad-Id/secrets.enc.yaml"));
    }

    internal static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "runbook-host.sln")))
            dir = dir.Parent;
        return dir?.FullName ?? throw new DirectoryNotFoundException("runbook-host.sln not found above the test output");
    }
}
