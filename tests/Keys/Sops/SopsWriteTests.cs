using System.Text;
using System.Text.RegularExpressions;
using RunbookHost.Keys.Sops;
using RunbookHost.Tests.Support;
using SopsApi = RunbookHost.Keys.Sops.Sops;

namespace RunbookHost.Tests.Keys.Sops;

/// <summary>What we write follows sops 3.13's layout and reads back (with our reader and the age CLI).</summary>
public partial class SopsWriteTests : IDisposable
{
    private static readonly DateTimeOffset Now = new(2026, 5, 22, 20, 16, 23, 456, TimeSpan.Zero);
    private readonly FixedClock _clock = new(Now);
    private readonly string _tmp = Directory.CreateTempSubdirectory("sops-tests-").FullName;

    public void Dispose()
    {
        Directory.Delete(_tmp, recursive: true);
        GC.SuppressFinalize(this);
    }

    [GeneratedRegex(@"^ENC\[AES256_GCM,data:[A-Za-z0-9+/]+=*,iv:[A-Za-z0-9+/]{43}=,tag:[A-Za-z0-9+/]{22}==,type:(str|int|float|bool|time|comment)\]$")]
    private static partial Regex EncValue();

    private const string PlainYaml = """
        # tenant credentials
        minio_access_key: AKIAEXAMPLE
        minio_secret_key: "s3cr3t: with colon"
        count: 42
        ratio: 0.5
        enabled: true
        nothing: null
        empty: ""
        nested:
            list:
                - one
                - 2
                - {}
            note_unencrypted: visible
        multi: |
            line one
            line two

        """;

    private static string Yaml(string s) => s.Replace("\r\n", "\n");

    [Fact]
    public void YamlWrittenWithSops313LayoutAndReadsBack()
    {
        var (identity, recipient) = AgeCliKeyService.NewIdentity(_tmp);
        var keys = new AgeCliKeyService(identity);
        var encrypted = SopsApi.Encrypt(Encoding.UTF8.GetBytes(Yaml(PlainYaml)), SopsFormat.Yaml, new SopsEncryptOptions { AgeRecipients = [recipient] }, keys, _clock);
        var text = Encoding.UTF8.GetString(encrypted);

        Assert.DoesNotContain("AKIAEXAMPLE", text);
        Assert.DoesNotContain("s3cr3t", text);
        Assert.DoesNotContain("tenant credentials", text);
        Assert.Contains("note_unencrypted: visible\n", text);
        Assert.Contains("    nothing: null\n".TrimStart(), text);
        Assert.Contains("empty: \"\"\n", text);

        var lines = text.Split('\n');
        var sopsAt = Array.IndexOf(lines, "sops:");
        Assert.True(sopsAt > 0);
        var metadataKeys = lines.Skip(sopsAt + 1).Where(l => Regex.IsMatch(l, "^    [a-z_]+:")).Select(l => l.Trim().Split(':')[0]).ToList();
        Assert.Equal(["age", "lastmodified", "mac", "unencrypted_suffix", "version"], metadataKeys);
        Assert.Contains("    lastmodified: \"2026-05-22T20:16:23Z\"", lines);
        Assert.Contains("    unencrypted_suffix: _unencrypted", lines);
        Assert.Contains("    version: " + SopsApi.WriterVersion, lines);
        Assert.Contains("        - enc: |", lines);
        Assert.Contains("          recipient: " + recipient, lines);
        Assert.Contains("            -----BEGIN AGE ENCRYPTED FILE-----", lines);
        Assert.Matches(EncValue(), lines.Single(l => l.StartsWith("    mac: ", StringComparison.Ordinal))["    mac: ".Length..]);
        foreach (var l in lines.Where(l => l.Contains("ENC[", StringComparison.Ordinal)))
        {
            var value = l.TrimStart(' ', '-', '#');
            value = value.Contains(": ENC[", StringComparison.Ordinal) ? value[(value.IndexOf(": ENC[", StringComparison.Ordinal) + 2)..] : value;
            Assert.Matches(EncValue(), value);
        }
        // 4-space indentation throughout, as sops writes by default.
        Assert.All(lines.Where(l => l.Length > 0 && l[0] == ' '), l => Assert.Equal(0, (l.Length - l.TrimStart(' ').Length) % 2));
        Assert.Contains("    list:", lines);
        Assert.Contains("        - ENC[", text);

        var metadata = SopsApi.ReadMetadata(encrypted, SopsFormat.Yaml);
        Assert.Equal("2026-05-22T20:16:23Z", metadata.LastModified);
        Assert.Equal(recipient, metadata.Age.Single().Recipient);

        var decrypted = Encoding.UTF8.GetString(SopsApi.Decrypt(encrypted, SopsFormat.Yaml, keys));
        Assert.Equal(Yaml("""
            # tenant credentials
            minio_access_key: AKIAEXAMPLE
            minio_secret_key: "s3cr3t: with colon"
            count: 42
            ratio: 0.5
            enabled: true
            nothing: null
            empty: ""
            nested:
                list:
                    - one
                    - 2
                    - {}
                note_unencrypted: visible
            multi: |
                line one
                line two

            """), decrypted);
    }

    [Fact]
    public void TypedValuesCarrySopsTypesAndMacBytes()
    {
        var keys = new FakeKeyService("r1");
        var encrypted = SopsApi.Encrypt(Encoding.UTF8.GetBytes(Yaml(PlainYaml)), SopsFormat.Yaml, new SopsEncryptOptions { AgeRecipients = ["r1"] }, keys, _clock);
        var result = SopsApi.DecryptTree(encrypted, SopsFormat.Yaml, keys);
        var leaves = result.Leaves.ToDictionary(l => l.Aad + l.Plaintext, l => l.Type);
        Assert.Equal("int", leaves["count:42"]);
        Assert.Equal("float", leaves["ratio:0.5"]);
        Assert.Equal("bool", leaves["enabled:True"]);
        Assert.Equal("str", leaves["nested:list:one"]);
        Assert.Equal("int", leaves["nested:list:2"]);
        Assert.DoesNotContain(result.Leaves, l => l.Aad.StartsWith("nothing", StringComparison.Ordinal) || l.Aad.StartsWith("empty", StringComparison.Ordinal));

        var expectedMac = Convert.ToHexString(System.Security.Cryptography.SHA512.HashData(Encoding.UTF8.GetBytes(
            "AKIAEXAMPLE" + "s3cr3t: with colon" + "42" + "0.5" + "True" + "" + "one" + "2" + "visible" + "line one\nline two\n")));
        Assert.Equal(expectedMac, result.Mac);
    }

    [Fact]
    public void JsonWrittenWithTabsTrailingNewlineAndSortedMetadata()
    {
        var (identity, recipient) = AgeCliKeyService.NewIdentity(_tmp);
        var keys = new AgeCliKeyService(identity);
        var plain = "{\n\t\"user\": \"admin\",\n\t\"port\": 5432,\n\t\"tags\": [\n\t\t\"a\",\n\t\ttrue\n\t],\n\t\"empty\": \"\",\n\t\"none\": null\n}\n";
        var encrypted = SopsApi.Encrypt(Encoding.UTF8.GetBytes(plain), SopsFormat.Json, new SopsEncryptOptions { AgeRecipients = [recipient] }, keys, _clock);
        var text = Encoding.UTF8.GetString(encrypted);
        Assert.EndsWith("}\n", text);
        Assert.StartsWith("{\n\t\"user\": \"ENC[AES256_GCM,data:", text);
        Assert.Contains("\t\"port\": \"ENC[AES256_GCM,", text);
        Assert.Contains("type:float]\"", text);
        Assert.Contains("\t\"empty\": \"\",\n", text);
        Assert.Contains("\t\"none\": null,\n", text);
        var keyOrder = Regex.Matches(text, "^\t\t\"([a-z_]+)\":", RegexOptions.Multiline).Select(m => m.Groups[1].Value).ToList();
        Assert.Equal(["age", "lastmodified", "mac", "unencrypted_suffix", "version"], keyOrder);
        Assert.Contains("\t\t\t\t\"enc\": \"-----BEGIN AGE ENCRYPTED FILE-----\\n", text);
        Assert.Equal(plain, Encoding.UTF8.GetString(SopsApi.Decrypt(encrypted, SopsFormat.Json, keys)));
    }

    public static TheoryData<string, string> WritableFixtures()
    {
        var data = new TheoryData<string, string>();
        foreach (var f in SopsFixtures.All.Where(f => f.Format is "yaml" or "json" or "binary" && !f.RelativePath.EndsWith("no_mac.yaml", StringComparison.Ordinal)))
            data.Add(f.Folder, f.RelativePath);
        return data;
    }

    [Theory]
    [MemberData(nameof(WritableFixtures))]
    public void FixtureDecryptReencryptDecryptIsStable(string folder, string path)
    {
        var f = SopsFixtures.Get(folder, path);
        var format = SopsFixtureConformanceTests.FormatOf(f);
        var file = File.ReadAllBytes(f.FullPath);
        var source = SopsApi.ReadMetadata(file, format);
        var first = SopsApi.Decrypt(file, format, new KnownDataKeyService(f.DataKey));
        var keys = new FakeKeyService("r1");
        var options = new SopsEncryptOptions
        {
            AgeRecipients = ["r1"],
            UnencryptedSuffix = source.UnencryptedSuffix,
            EncryptedSuffix = source.EncryptedSuffix,
            UnencryptedRegex = source.UnencryptedRegex,
            EncryptedRegex = source.EncryptedRegex,
            MacOnlyEncrypted = source.MacOnlyEncrypted,
        };
        var again = SopsApi.Encrypt(first, format, options, keys, _clock);
        var second = SopsApi.Decrypt(again, format, keys);
        Assert.Equal(Encoding.UTF8.GetString(first), Encoding.UTF8.GetString(second));
        // Same plaintext values → same MAC as real sops computed.
        Assert.Equal(f.MacPlaintext, SopsApi.DecryptTree(again, format, keys).Mac);
    }

    /// <summary>Replace what legitimately differs (ciphertexts, times, key sources) and compare the rest.</summary>
    private static string Shape(string text, SopsFormat format)
    {
        var lines = new List<string>();
        var skipping = false;
        foreach (var line in text.Split('\n'))
        {
            if (format == SopsFormat.Yaml)
            {
                if (line is "    age:" or "    pgp:") { skipping = true; continue; }
                if (skipping && (line.Length == 0 || line.StartsWith("     ", StringComparison.Ordinal))) continue;
            }
            else
            {
                if (line is "\t\t\"age\": [" or "\t\t\"pgp\": [") { skipping = true; continue; }
                if (skipping) { if (line == "\t\t],") skipping = false; continue; }
            }
            skipping = false;
            lines.Add(line);
        }
        var shaped = string.Join('\n', lines);
        shaped = Regex.Replace(shaped, @"ENC\[AES256_GCM,[^\]]*\]", "ENC");
        shaped = Regex.Replace(shaped, @"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z", "TIME");
        return Regex.Replace(shaped, @"3\.13\.\d", "3.13.x");
    }

    [Theory]
    [InlineData("functional-tests/res/format.enc.yaml", SopsFormat.Yaml)]
    [InlineData("functional-tests/res/format.enc.json", SopsFormat.Json)]
    public void OutputHasTheSameShapeAsASops313File(string path, SopsFormat format)
    {
        var f = SopsFixtures.Get("getsops-sops-HEAD", path);
        var real = File.ReadAllBytes(f.FullPath);
        var plain = SopsApi.Decrypt(real, format, new KnownDataKeyService(f.DataKey));
        var ours = SopsApi.Encrypt(plain, format, new SopsEncryptOptions { AgeRecipients = ["r1"] }, new FakeKeyService("r1"), _clock);
        Assert.Equal(Shape(Encoding.UTF8.GetString(real), format), Shape(Encoding.UTF8.GetString(ours), format));
    }
}
