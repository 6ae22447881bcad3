using RunbookHost.IO;
using RunbookHost.Keys.KeyRing;
using static RunbookHost.Tests.Keys.KeyRing.KeyRingTestEnvironment;

namespace RunbookHost.Tests.Keys.KeyRing;

public sealed class KeyRotationTests : IDisposable
{
    private readonly KeyRingTestEnvironment env = new();

    public void Dispose() => env.Dispose();

    [Fact]
    public async Task AScheduledRotationSwapsTheKeyArchivesTheOldOneAndKeepsEveryValue()
    {
        var before = await env.ProvisionAsync();
        var oldKey = env.Ring.PublicKey(env.Tenant);

        var rotation = await env.RotateAsync();

        var newKey = env.Ring.PublicKey(env.Tenant);
        Assert.NotEqual(oldKey, newKey);
        Assert.Equal(oldKey, rotation.OldPublicKey);
        Assert.Equal(newKey, rotation.NewPublicKey);
        Assert.Equal(newKey + "\n", File.ReadAllText(env.Files.PublicKey));
        Assert.True(env.Ring.LoadSecrets(env.Tenant).HasSameValuesAs(before));
        Assert.Equal(["key.age"], env.Ring.KeysThatDecryptSecrets(env.Tenant));
        var archived = Assert.Single(env.Ring.ArchivedKeys(env.Tenant));
        Assert.Equal(oldKey, archived.PublicKey);
        Assert.Equal("key-20261127-archived.age", rotation.ArchivedKeyFile);
        Assert.False(File.Exists(env.Files.NewKey));
        Assert.False(File.Exists(env.Files.Journal));
        Assert.Equal(AtomicFile.PrivateFile, Mode(env.Files.Key));
        Assert.Equal(AtomicFile.PrivateFile, Mode(archived.Path));
        Assert.Equal(AtomicFile.PrivateFile, Mode(env.Files.Secrets));
        Assert.False(rotation.Resumed);
    }

    [Fact]
    public async Task TheRotatedFileNamesOnlyTheNewRecipientAndTheRealAgeCliOpensItWithTheNewKey()
    {
        await env.ProvisionAsync();
        var oldKey = env.Ring.PublicKey(env.Tenant);

        await env.RotateAsync();

        var text = File.ReadAllText(env.Files.Secrets);
        Assert.DoesNotContain(oldKey, text);
        Assert.Contains(env.Ring.PublicKey(env.Tenant), text);
        Assert.Equal(32, (await DecryptStanzaWithAgeCli(env.Files.Secrets, env.Files.Key)).Length);
    }

    [Fact]
    public async Task AnEmergencyRotationAlsoRegeneratesEveryStoreCredential()
    {
        var before = await env.ProvisionAsync();

        var rotation = await env.RotateAsync(KeyRotation.Emergency);

        var after = env.Ring.LoadSecrets(env.Tenant);
        Assert.True(after.SharesNoCredentialWith(before));
        Assert.Equal(before.MinioAccessKey, after.MinioAccessKey);
        Assert.Contains("regenerated every store credential (emergency)", rotation.Notes);
        Assert.Equal(["key.age"], env.Ring.KeysThatDecryptSecrets(env.Tenant));
    }

    [Fact]
    public async Task SomeKeyOnDiskDecryptsTheSecretsAfterEveryStep()
    {
        await env.ProvisionAsync();
        var rotation = env.Ring.Rotation(env.Tenant, KeyRotation.Personnel);

        foreach (var (name, make) in Steps)
        {
            await Apply(make(rotation));
            Assert.True(env.Ring.KeysThatDecryptSecrets(env.Tenant).Count > 0, $"no key decrypts the secrets after '{name}'");
        }
    }

    public static TheoryData<int> StepsDoneBeforeTheCrash() => new(Enumerable.Range(1, Steps.Count - 1));

    [Theory]
    [MemberData(nameof(StepsDoneBeforeTheCrash))]
    public async Task ARotationAbandonedAfterAnyStepIsCompletedOnceByTheNextRun(int stepsDone)
    {
        var before = await env.ProvisionAsync();
        var oldKey = env.Ring.PublicKey(env.Tenant);
        var abandoned = env.Ring.Rotation(env.Tenant, KeyRotation.Scheduled);
        foreach (var (_, make) in Steps.Take(stepsDone))
            await Apply(make(abandoned));
        env.AssertSomeKeyDecryptsSecrets();

        var rerun = await env.RotateAsync();

        Assert.True(rerun.Resumed);
        Assert.Equal(oldKey, rerun.OldPublicKey);
        var archived = Assert.Single(env.Ring.ArchivedKeys(env.Tenant));
        Assert.Equal(oldKey, archived.PublicKey);
        Assert.NotEqual(oldKey, env.Ring.PublicKey(env.Tenant));
        if (abandoned.NewPublicKey is { } adopted)
            Assert.Equal(adopted, env.Ring.PublicKey(env.Tenant));
        Assert.True(env.Ring.LoadSecrets(env.Tenant).HasSameValuesAs(before));
        Assert.Equal(["key.age"], env.Ring.KeysThatDecryptSecrets(env.Tenant));
        Assert.False(File.Exists(env.Files.Journal));
    }

    [Fact]
    public async Task AResumedEmergencyRotationDoesNotRegenerateCredentialsTwice()
    {
        await env.ProvisionAsync();
        var abandoned = env.Ring.Rotation(env.Tenant, KeyRotation.Emergency);
        foreach (var (_, make) in Steps.Take(4))
            await Apply(make(abandoned));
        var regenerated = env.Ring.LoadSecrets(env.Tenant);

        var rerun = await env.RotateAsync(KeyRotation.Scheduled);

        Assert.Equal(KeyRotation.Emergency, rerun.Reason);
        Assert.True(env.Ring.LoadSecrets(env.Tenant).HasSameValuesAs(regenerated));
        Assert.Contains(rerun.Notes, n => n.Contains("differs", StringComparison.Ordinal));
    }

    [Fact]
    public async Task TwoRotationsDrivenStepByStepInterleavedConvergeOnOneNewKey()
    {
        var before = await env.ProvisionAsync();
        var first = env.Ring.Rotation(env.Tenant, KeyRotation.Scheduled);
        var second = env.Ring.Rotation(env.Tenant, KeyRotation.Scheduled);

        foreach (var (_, make) in Steps)
        {
            await Apply(make(first));
            await Apply(make(second));
            env.AssertSomeKeyDecryptsSecrets();
        }

        Assert.Equal(first.NewPublicKey, second.NewPublicKey);
        Assert.Single(env.Ring.ArchivedKeys(env.Tenant));
        Assert.True(env.Ring.LoadSecrets(env.Tenant).HasSameValuesAs(before));
    }

    [Fact]
    public async Task AForeignKeyNewAppearingMidRotationIsRefusedWithoutTouchingTheSecrets()
    {
        await env.ProvisionAsync();
        var rotation = env.Ring.Rotation(env.Tenant, KeyRotation.Scheduled);
        await Apply(rotation.Begin());
        await Apply(rotation.GenerateNewKey());
        var secrets = File.ReadAllBytes(env.Files.Secrets);
        File.Delete(env.Files.NewKey);
        await Apply(env.Ring.Rotation(env.Tenant, KeyRotation.Scheduled).GenerateNewKey()); // someone else's key-new.age

        var error = await Assert.ThrowsAsync<KeyRingException>(() => Apply(rotation.RotateDataKey()));

        Assert.Contains("changed under this rotation", error.Message);
        Assert.Equal(secrets, File.ReadAllBytes(env.Files.Secrets));
    }

    [Fact]
    public async Task AKeyNewWithoutARotationJournalIsRefused()
    {
        await env.ProvisionAsync();
        File.Copy(env.Files.Key, env.Files.NewKey);

        var error = await Assert.ThrowsAsync<KeyRingException>(() => Apply(env.Ring.Rotation(env.Tenant, KeyRotation.Scheduled).Begin()));

        Assert.Contains("without a rotation journal", error.Message);
        Assert.False(File.Exists(env.Files.Journal));
    }

    [Fact]
    public async Task StaleTemporaryFilesOfAKilledWriterAreRemovedWhenTheRotationStarts()
    {
        await env.ProvisionAsync();
        var stale = Path.Combine(env.Files.Folder, ".secrets.enc.yaml.0123456789abcdef.tmp");
        File.WriteAllText(stale, "half written");

        var rotation = await env.RotateAsync();

        Assert.False(File.Exists(stale));
        Assert.Contains(rotation.Notes, n => n.Contains(".secrets.enc.yaml.0123456789abcdef.tmp", StringComparison.Ordinal));
    }

    [Fact]
    public async Task RotatingATenantWithoutAKeyFailsBeforeWritingAnything()
    {
        await Assert.ThrowsAsync<KeyRingException>(() => Apply(env.Ring.Rotation(env.Tenant, KeyRotation.Scheduled).Begin()));

        Assert.False(Directory.Exists(env.Files.Folder) && Directory.EnumerateFiles(env.Files.Folder).Any());
    }

    [Fact]
    public async Task StepDescriptionsNameFilesButNeverSecretValues()
    {
        var secrets = await env.ProvisionAsync();
        var rotation = env.Ring.Rotation(env.Tenant, KeyRotation.Emergency);

        var lines = Steps.SelectMany(s => s.Make(rotation).Describe()).ToList();

        Assert.Contains(lines, l => l.Contains("tenants/acme/key-new.age", StringComparison.Ordinal));
        foreach (var (_, value) in secrets.Values.Where(v => v.Key != TenantSecrets.MinioAccessKeyName))
            Assert.DoesNotContain(lines, l => l.Contains(value, StringComparison.Ordinal));
        Assert.DoesNotContain(lines, l => l.Contains("AGE-SECRET-KEY", StringComparison.Ordinal));
    }

    [Fact]
    public void AnUnknownReasonIsRefused()
    {
        Assert.Throws<ArgumentException>(() => env.Ring.Rotation(env.Tenant, "because"));
    }
}
