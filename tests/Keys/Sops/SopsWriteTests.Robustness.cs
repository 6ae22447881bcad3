using System.Text;
using System.Text.RegularExpressions;
using RunbookHost.Keys.Sops;
using RunbookHost.Tests.Support;
using SopsApi = RunbookHost.Keys.Sops.Sops;

namespace RunbookHost.Tests.Keys.Sops;

/// <summary>Refusals and hostile input: read-only formats, key groups, parse errors that never quote the document, deep nesting.</summary>
public partial class SopsWriteTests
{
    [Fact]
    public void EncryptRefusesAlreadyEncryptedReadOnlyFormatsAndNoRecipients()
    {
        var keys = new FakeKeyService("r1");
        var file = SopsApi.Encrypt("a: b\n"u8, SopsFormat.Yaml, new SopsEncryptOptions { AgeRecipients = ["r1"] }, keys, _clock);
        Assert.Throws<SopsException>(() => SopsApi.Encrypt(file, SopsFormat.Yaml, new SopsEncryptOptions { AgeRecipients = ["r1"] }, keys, _clock));
        Assert.Throws<SopsException>(() => SopsApi.Encrypt("A=b\n"u8, SopsFormat.Dotenv, new SopsEncryptOptions { AgeRecipients = ["r1"] }, keys, _clock));
        Assert.Throws<SopsException>(() => SopsApi.Encrypt("[s]\na=b\n"u8, SopsFormat.Ini, new SopsEncryptOptions { AgeRecipients = ["r1"] }, keys, _clock));
        Assert.Throws<SopsException>(() => SopsApi.Encrypt("a: b\n"u8, SopsFormat.Yaml, new SopsEncryptOptions(), keys, _clock));
        Assert.Throws<SopsException>(() => SopsApi.Encrypt("- a\n"u8, SopsFormat.Yaml, new SopsEncryptOptions { AgeRecipients = ["r1"] }, keys, _clock));
        Assert.Throws<SopsException>(() => SopsApi.Encrypt("a: &x b\nc: *x\n"u8, SopsFormat.Yaml, new SopsEncryptOptions { AgeRecipients = ["r1"] }, keys, _clock));
    }

    [Fact]
    public void SingleKeyGroupIsReadAndShamirIsRefused()
    {
        var keys = new FakeKeyService("r1");
        var lines = Encoding.UTF8.GetString(SopsApi.Encrypt("a: b\n"u8, SopsFormat.Yaml, new SopsEncryptOptions { AgeRecipients = ["r1"] }, keys, _clock)).Split('\n').ToList();
        var ageAt = lines.IndexOf("    age:");
        var end = lines.FindIndex(ageAt + 1, l => !l.StartsWith("        ", StringComparison.Ordinal));
        for (var i = ageAt + 1; i < end; i++) lines[i] = "    " + lines[i];
        lines[ageAt] = "    key_groups:\n        - age:";
        var grouped = string.Join('\n', lines);
        Assert.Equal("a: b\n", Encoding.UTF8.GetString(SopsApi.Decrypt(Encoding.UTF8.GetBytes(grouped), SopsFormat.Yaml, keys)));
        var shamir = grouped.Replace("    key_groups:\n", "    shamir_threshold: 2\n    key_groups:\n        - age: []\n");
        var ex = Assert.Throws<SopsException>(() => SopsApi.Decrypt(Encoding.UTF8.GetBytes(shamir), SopsFormat.Yaml, keys));
        Assert.Contains("Shamir", ex.Message);
    }

    [Theory]
    [InlineData("a: hunter2secret\n  b: [hunter2secret", SopsFormat.Yaml)]
    [InlineData("{\"a\": \"hunter2secret\" x}", SopsFormat.Json)]
    public void ParseErrorsDoNotQuoteTheDocument(string text, SopsFormat format)
    {
        var ex = Assert.Throws<SopsException>(() => SopsApi.Encrypt(Encoding.UTF8.GetBytes(text), format, new SopsEncryptOptions { AgeRecipients = ["r1"] }, new FakeKeyService("r1"), _clock));
        Assert.DoesNotContain("hunter2", ex.Message);
        Assert.DoesNotContain('\n', ex.Message);
    }

    [Fact]
    public void ArbitraryClearStringsAndKeysRoundTripThroughYaml()
    {
        var random = new Random(20260522);
        const string alphabet = "aZ09 :#-?,[]{}&*!|>'\"%@`\\\t\n\r.~_=+<>/éß\u2028\u0085\u00a0\u0001\u007f";
        var keys = new FakeKeyService("r1");
        for (var round = 0; round < 50; round++)
        {
            var values = new Dictionary<string, string>();
            for (var i = 0; i < 20; i++)
            {
                var chars = Enumerable.Range(0, random.Next(0, 12)).Select(_ => alphabet[random.Next(alphabet.Length)]).ToArray();
                values[$"k{i}{new string(chars).Replace("\r", "")}_unencrypted"] = new string(chars);
            }
            values["true"] = "yes";
            values["null_unencrypted"] = "null";
            var file = SopsApi.EncryptDictionary(values, SopsFormat.Yaml, new SopsEncryptOptions { AgeRecipients = ["r1"] }, keys, _clock);
            Assert.Equal(values, SopsApi.DecryptToDictionary(file, SopsFormat.Yaml, keys));
            var json = SopsApi.EncryptDictionary(values, SopsFormat.Json, new SopsEncryptOptions { AgeRecipients = ["r1"] }, keys, _clock);
            Assert.Equal(values, SopsApi.DecryptToDictionary(json, SopsFormat.Json, keys));
        }
    }

    [Fact]
    public void HostileNestingIsRefusedNotACrash()
    {
        var keys = new FakeKeyService("r1");
        var deepYaml = Encoding.UTF8.GetBytes("a: " + new string('[', 5000) + new string(']', 5000) + "\n");
        Assert.Throws<SopsException>(() => SopsApi.Encrypt(deepYaml, SopsFormat.Yaml, new SopsEncryptOptions { AgeRecipients = ["r1"] }, keys, _clock));
        var deepJson = Encoding.UTF8.GetBytes("{\"a\": " + new string('[', 5000) + new string(']', 5000) + "}");
        Assert.Throws<SopsException>(() => SopsApi.Encrypt(deepJson, SopsFormat.Json, new SopsEncryptOptions { AgeRecipients = ["r1"] }, keys, _clock));
    }

    [Fact]
    public void BinaryRoundTripKeepsArbitraryBytes()
    {
        var keys = new FakeKeyService("r1");
        byte[] data = [0, 1, 2, 0xff, 0xfe, (byte)'\n', 0x80];
        var file = SopsApi.Encrypt(data, SopsFormat.Binary, new SopsEncryptOptions { AgeRecipients = ["r1"] }, keys, _clock);
        Assert.StartsWith("{\n\t\"data\": \"ENC[AES256_GCM,", Encoding.UTF8.GetString(file));
        Assert.Equal(data, SopsApi.Decrypt(file, SopsFormat.Binary, keys));
    }

    [Fact]
    public void MultiDocumentYamlGetsMetadataInEveryDocument()
    {
        var keys = new FakeKeyService("r1");
        var file = SopsApi.Encrypt("a: 1\n---\nb: 2\n"u8, SopsFormat.Yaml, new SopsEncryptOptions { AgeRecipients = ["r1"] }, keys, _clock);
        var text = Encoding.UTF8.GetString(file);
        Assert.Equal(2, Regex.Matches(text, "^sops:$", RegexOptions.Multiline).Count);
        Assert.Equal("a: 1\n---\nb: 2\n", Encoding.UTF8.GetString(SopsApi.Decrypt(file, SopsFormat.Yaml, keys)));
    }
}
