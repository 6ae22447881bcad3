using System.Text;
using RunbookHost.Keys.Sops;
using RunbookHost.Tests.Support;
using SopsApi = RunbookHost.Keys.Sops.Sops;

namespace RunbookHost.Tests.Keys.Sops;

/// <summary>Rotate and updatekeys: which data key and which recipients a rewritten file has.</summary>
public partial class SopsWriteTests
{
    [Fact]
    public void RotateChangesDataKeyAndRecipients()
    {
        var (idA, recA) = AgeCliKeyService.NewIdentity(_tmp);
        var (idB, recB) = AgeCliKeyService.NewIdentity(_tmp);
        var keysA = new AgeCliKeyService(idA);
        var keysB = new AgeCliKeyService(idB);
        var original = SopsApi.Encrypt(Encoding.UTF8.GetBytes(Yaml(PlainYaml)), SopsFormat.Yaml, new SopsEncryptOptions { AgeRecipients = [recA] }, keysA, _clock);
        var oldKey = keysA.Unwrap(SopsApi.ReadMetadata(original, SopsFormat.Yaml));

        _clock.Now = Now.AddHours(1);
        var rotated = SopsApi.Rotate(original, SopsFormat.Yaml, keysA, addAge: [recB], removeAge: [recA], _clock);
        var metadata = SopsApi.ReadMetadata(rotated, SopsFormat.Yaml);
        Assert.Equal([recB], metadata.Age.Select(a => a.Recipient));
        Assert.Equal("2026-05-22T21:16:23Z", metadata.LastModified);
        Assert.NotEqual(oldKey, keysB.Unwrap(metadata));
        Assert.Equal(SopsApi.Decrypt(original, SopsFormat.Yaml, keysA), SopsApi.Decrypt(rotated, SopsFormat.Yaml, keysB));
        var ex = Assert.Throws<SopsException>(() => SopsApi.Decrypt(rotated, SopsFormat.Yaml, keysA));
        Assert.Contains("no usable key", ex.Message);
        // The old data key no longer opens anything.
        Assert.ThrowsAny<SopsException>(() => SopsApi.Decrypt(rotated, SopsFormat.Yaml, new KnownDataKeyService(oldKey)));
    }

    [Fact]
    public void RotateRefusesToLeaveNoRecipient()
    {
        var keys = new FakeKeyService("r1");
        var file = SopsApi.Encrypt("a: b\n"u8, SopsFormat.Yaml, new SopsEncryptOptions { AgeRecipients = ["r1"] }, keys, _clock);
        Assert.Throws<SopsException>(() => SopsApi.Rotate(file, SopsFormat.Yaml, keys, [], ["r1"], _clock));
    }

    [Fact]
    public void UpdateKeysRewrapsTheSameDataKeyAndKeepsValues()
    {
        var keys = new FakeKeyService("r1", "r2");
        var file = SopsApi.Encrypt(Encoding.UTF8.GetBytes(Yaml(PlainYaml)), SopsFormat.Yaml, new SopsEncryptOptions { AgeRecipients = ["r1"] }, keys, _clock);
        var updated = SopsApi.UpdateKeys(file, SopsFormat.Yaml, keys, ["r2"]);
        var before = SopsApi.ReadMetadata(file, SopsFormat.Yaml);
        var after = SopsApi.ReadMetadata(updated, SopsFormat.Yaml);
        Assert.Equal(["r2"], after.Age.Select(a => a.Recipient));
        Assert.Equal(before.Mac, after.Mac);
        Assert.Equal(before.LastModified, after.LastModified);
        Assert.Equal(keys.Unwrap(before), new FakeKeyService("r2").Unwrap(after));
        var valueLines = (byte[] b) => Encoding.UTF8.GetString(b).Split("sops:")[0];
        Assert.Equal(valueLines(file), valueLines(updated));
        Assert.Equal(SopsApi.Decrypt(file, SopsFormat.Yaml, keys), SopsApi.Decrypt(updated, SopsFormat.Yaml, new FakeKeyService("r2")));
    }

    [Fact]
    public void UpdateKeysRefusesATamperedFile()
    {
        var keys = new FakeKeyService("r1");
        var file = Encoding.UTF8.GetString(SopsApi.Encrypt("a: b\nc_unencrypted: d\n"u8, SopsFormat.Yaml, new SopsEncryptOptions { AgeRecipients = ["r1"] }, keys, _clock));
        var tampered = Encoding.UTF8.GetBytes(file.Replace("c_unencrypted: d", "c_unencrypted: e"));
        Assert.Throws<SopsMacMismatchException>(() => SopsApi.UpdateKeys(tampered, SopsFormat.Yaml, keys, ["r2"]));
    }

    [Fact]
    public void RewritingAFileWithPgpKeysIsRefused()
    {
        var f = SopsFixtures.Get("getsops-sops-HEAD", "functional-tests/res/format.enc.yaml");
        var file = File.ReadAllBytes(f.FullPath);
        Assert.Throws<SopsException>(() => SopsApi.UpdateKeys(file, SopsFormat.Yaml, new KnownDataKeyService(f.DataKey), ["r1"]));
        Assert.Throws<SopsException>(() => SopsApi.Rotate(file, SopsFormat.Yaml, new KnownDataKeyService(f.DataKey), ["r1"], [], _clock));
    }
}
