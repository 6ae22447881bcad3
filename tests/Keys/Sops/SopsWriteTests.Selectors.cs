using System.Text;
using RunbookHost.Keys.Sops;
using RunbookHost.Tests.Support;
using SopsApi = RunbookHost.Keys.Sops.Sops;

namespace RunbookHost.Tests.Keys.Sops;

/// <summary>The sops selectors: which values and comments are encrypted, and what the MAC covers.</summary>
public partial class SopsWriteTests
{
    [Fact]
    public void EncryptedRegexEncryptsOnlyMatchingSubtreesButMacsEverything()
    {
        var keys = new FakeKeyService("r1");
        var plain = "apiVersion: v1\nkind: Secret\nstringData:\n    key: value\n"u8.ToArray();
        var file = SopsApi.Encrypt(plain, SopsFormat.Yaml, new SopsEncryptOptions { AgeRecipients = ["r1"], EncryptedRegex = "^(data|stringData)$" }, keys, _clock);
        var text = Encoding.UTF8.GetString(file);
        Assert.Contains("apiVersion: v1\nkind: Secret\n", text);
        Assert.Contains("    encrypted_regex: ^(data|stringData)$\n", text);
        Assert.DoesNotContain("unencrypted_suffix", text);
        Assert.DoesNotContain("key: value", text);
        Assert.Equal(plain, SopsApi.Decrypt(file, SopsFormat.Yaml, keys));
        Assert.Throws<SopsMacMismatchException>(() =>
            SopsApi.Decrypt(Encoding.UTF8.GetBytes(text.Replace("kind: Secret", "kind: Secrets")), SopsFormat.Yaml, keys));
    }

    [Fact]
    public void MacOnlyEncryptedIgnoresClearValues()
    {
        var keys = new FakeKeyService("r1");
        var file = SopsApi.Encrypt("a: secret\nb_unencrypted: clear\n"u8, SopsFormat.Yaml, new SopsEncryptOptions { AgeRecipients = ["r1"], MacOnlyEncrypted = true }, keys, _clock);
        var text = Encoding.UTF8.GetString(file);
        Assert.Contains("    mac_only_encrypted: true\n", text);
        var changed = Encoding.UTF8.GetBytes(text.Replace("b_unencrypted: clear", "b_unencrypted: other"));
        Assert.Equal("a: secret\nb_unencrypted: other\n", Encoding.UTF8.GetString(SopsApi.Decrypt(changed, SopsFormat.Yaml, keys)));
        var result = SopsApi.DecryptTree(file, SopsFormat.Yaml, keys);
        var init = System.Security.Cryptography.SHA256.HashData("sops"u8);
        var expected = Convert.ToHexString(System.Security.Cryptography.SHA512.HashData([.. init, .. "secret"u8.ToArray()]));
        Assert.Equal(expected, result.Mac);
    }

    [Fact]
    public void EncryptedSuffixAndUnencryptedRegexSelectors()
    {
        var keys = new FakeKeyService("r1");
        var bySuffix = Encoding.UTF8.GetString(SopsApi.Encrypt("a: 1\nb_enc: 2\n"u8, SopsFormat.Yaml, new SopsEncryptOptions { AgeRecipients = ["r1"], EncryptedSuffix = "_enc" }, keys, _clock));
        Assert.Contains("a: 1\n", bySuffix);
        Assert.Contains("b_enc: ENC[", bySuffix);
        var byRegex = Encoding.UTF8.GetString(SopsApi.Encrypt("a: 1\npublic: 2\n"u8, SopsFormat.Yaml, new SopsEncryptOptions { AgeRecipients = ["r1"], UnencryptedRegex = "^pub" }, keys, _clock));
        Assert.Contains("a: ENC[", byRegex);
        Assert.Contains("public: 2\n", byRegex);
        Assert.Throws<SopsException>(() => SopsApi.Encrypt("a: 1\n"u8, SopsFormat.Yaml, new SopsEncryptOptions { AgeRecipients = ["r1"], EncryptedRegex = "a", EncryptedSuffix = "b" }, keys, _clock));
    }

    [Fact]
    public void EncryptedCommentRegexEncryptsOnlyWhatFollowsTheMarker()
    {
        var keys = new FakeKeyService("r1");
        var plain = "a: clear\n# sops:enc\nb: secret\nc: after\n# sops:enc\nnested:\n    p: one\n    q: two\n"u8.ToArray();
        var file = SopsApi.Encrypt(plain, SopsFormat.Yaml, new SopsEncryptOptions { AgeRecipients = ["r1"], EncryptedCommentRegex = "sops:enc" }, keys, _clock);
        var text = Encoding.UTF8.GetString(file);
        Assert.Contains("a: clear\n# sops:enc\nb: ENC[", text);
        Assert.Contains("\nc: after\n# sops:enc\nnested:\n    p: ENC[", text);
        Assert.Contains("\n    q: ENC[", text);
        Assert.Contains("    encrypted_comment_regex: sops:enc\n", text);
        Assert.DoesNotContain("unencrypted_suffix", text);
        Assert.Equal(plain, SopsApi.Decrypt(file, SopsFormat.Yaml, keys));
    }

    [Fact]
    public void UnencryptedCommentRegexLeavesWhatFollowsTheMarkerClear()
    {
        var keys = new FakeKeyService("r1");
        var plain = "# sops:noenc\na: clear\nb: secret\n"u8.ToArray();
        var file = SopsApi.Encrypt(plain, SopsFormat.Yaml, new SopsEncryptOptions { AgeRecipients = ["r1"], UnencryptedCommentRegex = "sops:noenc" }, keys, _clock);
        var text = Encoding.UTF8.GetString(file);
        Assert.StartsWith("# sops:noenc\na: clear\nb: ENC[", text);
        Assert.Equal(plain, SopsApi.Decrypt(file, SopsFormat.Yaml, keys));
        Assert.Throws<SopsMacMismatchException>(() => SopsApi.Decrypt(Encoding.UTF8.GetBytes(text.Replace("a: clear", "a: cleaR")), SopsFormat.Yaml, keys));
    }
}
