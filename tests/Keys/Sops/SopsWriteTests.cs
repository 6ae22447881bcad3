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

    [Fact]
    public void TenantSecretsDictionaryRoundTrip()
    {
        var (identity, recipient) = AgeCliKeyService.NewIdentity(_tmp);
        var keys = new AgeCliKeyService(identity);
        var secrets = new Dictionary<string, string>
        {
            ["minio_access_key"] = "tenant-acme",
            ["minio_secret_key"] = "Zx9#kP2$mQ7!vR4&",
            ["postgres_password"] = "pg: 'quoted' \"both\"",
            ["qdrant_api_key"] = "q-123",
            ["redis_password"] = "true",
            ["tenant_api_key"] = "0123",
        };
        var file = SopsApi.EncryptDictionary(secrets, SopsFormat.Yaml, new SopsEncryptOptions { AgeRecipients = [recipient] }, keys, _clock);
        var text = Encoding.UTF8.GetString(file);
        foreach (var v in secrets.Values)
            Assert.DoesNotContain(v, text);
        Assert.Equal(secrets.Keys, Regex.Matches(text, "^([a-z_]+): ENC", RegexOptions.Multiline).Select(m => m.Groups[1].Value));
        Assert.Equal(secrets, SopsApi.DecryptToDictionary(file, SopsFormat.Yaml, keys));
        // The decrypted YAML keeps string-ness of "true" and "0123" when re-read.
        var plain = SopsApi.Decrypt(file, SopsFormat.Yaml, keys);
        var again = SopsApi.Encrypt(plain, SopsFormat.Yaml, new SopsEncryptOptions { AgeRecipients = [recipient] }, keys, _clock);
        Assert.Equal(secrets, SopsApi.DecryptToDictionary(again, SopsFormat.Yaml, keys));

        var json = SopsApi.EncryptDictionary(secrets, SopsFormat.Json, new SopsEncryptOptions { AgeRecipients = [recipient] }, keys, _clock);
        Assert.Equal(secrets, SopsApi.DecryptToDictionary(json, SopsFormat.Json, keys));
    }

    [Fact]
    public void DecryptToDictionaryRefusesNestedMaps()
    {
        var keys = new FakeKeyService("r1");
        var file = SopsApi.Encrypt("a:\n    b: c\n"u8, SopsFormat.Yaml, new SopsEncryptOptions { AgeRecipients = ["r1"] }, keys, _clock);
        Assert.Throws<SopsException>(() => SopsApi.DecryptToDictionary(file, SopsFormat.Yaml, keys));
    }

    [Fact]
    public void YamlCommentsAreEncryptedAndRestored()
    {
        var keys = new FakeKeyService("r1");
        var plain = "# top secret note\na: 1\nb:\n    # inner note\n    c: 2\n# trailing\n"u8.ToArray();
        var file = SopsApi.Encrypt(plain, SopsFormat.Yaml, new SopsEncryptOptions { AgeRecipients = ["r1"] }, keys, _clock);
        var text = Encoding.UTF8.GetString(file);
        Assert.DoesNotContain("note", text);
        Assert.Contains("\n    #ENC[AES256_GCM,", text);
        Assert.Equal(plain, SopsApi.Decrypt(file, SopsFormat.Yaml, keys));
    }

    [Theory]
    [InlineData(1234568000d, "1234568000")]
    [InlineData(25.4, "25.4")]
    [InlineData(1e21, "1000000000000000000000")]
    [InlineData(1.5e-7, "0.00000015")]
    [InlineData(-0.5, "-0.5")]
    [InlineData(0d, "0")]
    public void FloatsAreFormattedLikeGoWithoutExponent(double value, string expected) =>
        Assert.Equal(expected, SopsNumbers.FormatFloatF(value));

    [Theory]
    [InlineData("plain", "plain")]
    [InlineData("true", "\"true\"")]
    [InlineData("yes", "\"yes\"")]
    [InlineData("0123", "\"0123\"")]
    [InlineData("12", "\"12\"")]
    [InlineData("1.5", "\"1.5\"")]
    [InlineData("null", "\"null\"")]
    [InlineData("a: b", "\"a: b\"")]
    [InlineData("- x", "\"- x\"")]
    [InlineData("tab\there", "\"tab\\there\"")]
    [InlineData("2024-01-01", "\"2024-01-01\"")]
    [InlineData("12:30:00", "\"12:30:00\"")]
    [InlineData("a *b", "\"a *b\"")]
    [InlineData("ENC[AES256_GCM,data:x,iv:y,tag:z,type:str]", "ENC[AES256_GCM,data:x,iv:y,tag:z,type:str]")]
    public void YamlStringsAreQuotedWhenAPlainScalarWouldChangeMeaning(string value, string expected) =>
        Assert.Equal(expected, SopsYamlStore.QuoteScalar(value));
}
