using System.Text;
using RunbookHost.Keys.Sops;
using RunbookHost.Tests.Support;

namespace RunbookHost.Tests.Keys.Sops;

/// <summary>Files written by real sops (3.3.1 – 3.13.2) decrypt to what their manifests say.</summary>
public class SopsFixtureConformanceTests
{
    private const string NoMac = "functional-tests/res/no_mac.yaml";

    public static TheoryData<string, string> DecryptableFixtures()
    {
        var data = new TheoryData<string, string>();
        foreach (var f in SopsFixtures.All.Where(f => f.RelativePath != NoMac))
            data.Add(f.Folder, f.RelativePath);
        return data;
    }

    public static TheoryData<string, string> AgeFixtures()
    {
        var data = new TheoryData<string, string>();
        foreach (var f in SopsFixtures.All.Where(f => f.KeyFile is not null))
            data.Add(f.Folder, f.RelativePath);
        return data;
    }

    internal static SopsFormat FormatOf(SopsFixture f) => f.Format switch
    {
        "yaml" => SopsFormat.Yaml,
        "json" => SopsFormat.Json,
        "dotenv" => SopsFormat.Dotenv,
        "ini" => SopsFormat.Ini,
        "binary" => SopsFormat.Binary,
        _ => throw new InvalidOperationException("unknown fixture format " + f.Format),
    };

    [Fact]
    public void AllFixtureFoldersAndFilesArePresent()
    {
        var folders = SopsFixtures.All.Select(f => f.Folder).Distinct().Order().ToList();
        Assert.Equal(["fluxcd-kustomize-controller", "getsops-sops-HEAD", "getsops-sops-pr1031"], folders);
        Assert.True(SopsFixtures.All.Count >= 17, $"expected at least 17 fixtures, found {SopsFixtures.All.Count}");
        foreach (var f in SopsFixtures.All)
            Assert.True(File.Exists(f.FullPath), $"missing fixture {f}");
    }

    [Fact]
    public void FormatDetectorMatchesEveryManifestFormat()
    {
        foreach (var f in SopsFixtures.All)
            Assert.Equal(FormatOf(f), SopsFormatDetector.FromPath(f.RelativePath));
    }

    [Theory]
    [MemberData(nameof(DecryptableFixtures))]
    public void DecryptsWithManifestDataKeyToManifestValuesAndMac(string folder, string path)
    {
        var f = SopsFixtures.Get(folder, path);
        var file = File.ReadAllBytes(f.FullPath);
        var result = RunbookHost.Keys.Sops.Sops.DecryptTree(file, FormatOf(f), new KnownDataKeyService(f.DataKey));

        Assert.Equal(f.MacPlaintext, result.Mac);
        Assert.Equal(f.LastModified, RunbookHost.Keys.Sops.Sops.ReadMetadata(file, FormatOf(f)).MacAad);
        var actual = result.Leaves
            .GroupBy(l => l.Aad)
            .ToDictionary(g => g.Key, g => g.Select(l => (l.Type, l.Plaintext)).ToList());
        var expected = f.ValuesByAad
            .ToDictionary(kv => kv.Key, kv => kv.Value.Where(v => v.Type != "empty").ToList())
            .Where(kv => kv.Value.Count > 0)
            .ToDictionary();
        Assert.Equal(expected.Keys.Order(StringComparer.Ordinal), actual.Keys.Order(StringComparer.Ordinal));
        foreach (var (aad, values) in expected)
            Assert.Equal(values, actual[aad]);

        // The full decrypt emits a plaintext document without ENC[...] left in values.
        var plain = Encoding.UTF8.GetString(RunbookHost.Keys.Sops.Sops.Decrypt(file, FormatOf(f), new KnownDataKeyService(f.DataKey)));
        Assert.DoesNotContain("ENC[AES256_GCM", plain);
        foreach (var (_, values) in expected)
            foreach (var (type, text) in values)
                if (type == "str" && !text.Contains('\n'))
                    Assert.Contains(text, plain);
    }

    [Theory]
    [MemberData(nameof(AgeFixtures))]
    public void AgeWrappedFixturesUnwrapWithTheAgeCliToTheManifestDataKey(string folder, string path)
    {
        var f = SopsFixtures.Get(folder, path);
        var file = File.ReadAllBytes(f.FullPath);
        var format = FormatOf(f);
        var keys = new AgeCliKeyService(f.KeyFilePath!);
        var metadata = RunbookHost.Keys.Sops.Sops.ReadMetadata(file, format);
        Assert.Equal(f.DataKeyHex, Convert.ToHexString(keys.Unwrap(metadata)), ignoreCase: true);
        var result = RunbookHost.Keys.Sops.Sops.DecryptTree(file, format, keys);
        Assert.Equal(f.MacPlaintext, result.Mac);
    }

    [Fact]
    public void EitherPr1031IdentityAloneUnwrapsTheSameDataKey()
    {
        var f = SopsFixtures.Get("getsops-sops-pr1031", "example.yaml");
        var metadata = RunbookHost.Keys.Sops.Sops.ReadMetadata(File.ReadAllBytes(f.FullPath), SopsFormat.Yaml);
        Assert.Equal(2, metadata.Age.Count);
        var keys = new AgeCliKeyService(f.KeyFilePath!);
        foreach (var stanza in metadata.Age)
        {
            var single = new SopsMetadata { Age = [stanza], LastModified = metadata.LastModified };
            Assert.Equal(f.DataKey, keys.Unwrap(single));
        }
    }

    [Fact]
    public void NoMacFileIsRefused()
    {
        var f = SopsFixtures.Get("getsops-sops-HEAD", NoMac);
        var ex = Assert.Throws<SopsMacMismatchException>(() =>
            RunbookHost.Keys.Sops.Sops.Decrypt(File.ReadAllBytes(f.FullPath), SopsFormat.Yaml, new KnownDataKeyService(f.DataKey)));
        Assert.Contains("no MAC", ex.Message);
    }

    [Fact]
    public void TamperedClearValueIsAMacMismatch()
    {
        var f = SopsFixtures.Get("getsops-sops-pr1031", "example.yaml");
        var text = File.ReadAllText(f.FullPath).Replace("remain in clear text", "remain in clear texT");
        Assert.Throws<SopsMacMismatchException>(() =>
            RunbookHost.Keys.Sops.Sops.Decrypt(Encoding.UTF8.GetBytes(text), SopsFormat.Yaml, new KnownDataKeyService(f.DataKey)));
    }

    [Fact]
    public void RemovedEncryptedValueIsAMacMismatch()
    {
        var f = SopsFixtures.Get("getsops-sops-pr1031", "example.yaml");
        var lines = File.ReadAllLines(f.FullPath).Where(l => !l.StartsWith("myapp1:", StringComparison.Ordinal));
        var text = string.Join("\n", lines) + "\n";
        Assert.Throws<SopsMacMismatchException>(() =>
            RunbookHost.Keys.Sops.Sops.Decrypt(Encoding.UTF8.GetBytes(text), SopsFormat.Yaml, new KnownDataKeyService(f.DataKey)));
    }

    [Fact]
    public void ValueMovedToAnotherKeyFailsAuthenticationWithoutLeakingPlaintext()
    {
        var f = SopsFixtures.Get("getsops-sops-pr1031", "example.yaml");
        var lines = File.ReadAllLines(f.FullPath);
        var user = Array.FindIndex(lines, l => l.TrimStart().StartsWith("user: ", StringComparison.Ordinal));
        var password = Array.FindIndex(lines, l => l.TrimStart().StartsWith("password: ", StringComparison.Ordinal));
        var userValue = lines[user][(lines[user].IndexOf(':') + 2)..];
        var passwordValue = lines[password][(lines[password].IndexOf(':') + 2)..];
        lines[user] = lines[user].Replace(userValue, passwordValue);
        lines[password] = lines[password].Replace(passwordValue, userValue);
        var ex = Assert.Throws<SopsException>(() =>
            RunbookHost.Keys.Sops.Sops.Decrypt(Encoding.UTF8.GetBytes(string.Join("\n", lines)), SopsFormat.Yaml, new KnownDataKeyService(f.DataKey)));
        Assert.Contains("app2:db:", ex.Message);
        Assert.DoesNotContain("c4r1b0u", ex.Message);
        Assert.DoesNotContain("eve", ex.Message);
        Assert.DoesNotContain(f.DataKeyHex, ex.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void TamperedCiphertextFails()
    {
        var f = SopsFixtures.Get("getsops-sops-HEAD", "functional-tests/res/format.enc.json");
        var text = File.ReadAllText(f.FullPath).Replace("data:fvD/", "data:fvD0");
        Assert.Throws<SopsException>(() =>
            RunbookHost.Keys.Sops.Sops.Decrypt(Encoding.UTF8.GetBytes(text), SopsFormat.Json, new KnownDataKeyService(f.DataKey)));
    }

    [Fact]
    public void ChangedLastModifiedIsAMacMismatch()
    {
        var f = SopsFixtures.Get("getsops-sops-HEAD", "functional-tests/res/format.enc.yaml");
        var text = File.ReadAllText(f.FullPath).Replace("2026-05-22T20:16:23Z", "2026-05-22T20:16:24Z");
        Assert.Throws<SopsMacMismatchException>(() =>
            RunbookHost.Keys.Sops.Sops.Decrypt(Encoding.UTF8.GetBytes(text), SopsFormat.Yaml, new KnownDataKeyService(f.DataKey)));
    }

    [Fact]
    public void WrongAgeKeyIsNoUsableKey()
    {
        var f = SopsFixtures.Get("getsops-sops-pr1031", "example.yaml");
        var flux = SopsFixtures.Get("fluxcd-kustomize-controller", "algorithms/age.yaml");
        var ex = Assert.Throws<SopsException>(() =>
            RunbookHost.Keys.Sops.Sops.Decrypt(File.ReadAllBytes(f.FullPath), SopsFormat.Yaml, new AgeCliKeyService(flux.KeyFilePath!)));
        Assert.Contains("no usable key", ex.Message);
    }

    [Fact]
    public void WrongDataKeyFailsWithoutPlaintext()
    {
        var f = SopsFixtures.Get("getsops-sops-pr1031", "example.json");
        var wrong = new byte[32];
        Assert.ThrowsAny<SopsException>(() =>
            RunbookHost.Keys.Sops.Sops.Decrypt(File.ReadAllBytes(f.FullPath), SopsFormat.Json, new KnownDataKeyService(wrong)));
    }

    [Fact]
    public void PostQuantumRecipientIsRefusedByAnX25519OnlyKeyService()
    {
        var path = Path.Combine(SopsFixtures.Root, "fluxcd-kustomize-controller", "algorithms", "age-pq.yaml");
        var keyFile = Path.Combine(SopsFixtures.Root, "fluxcd-kustomize-controller", "keys", "age-pq.txt");
        var file = File.ReadAllBytes(path);
        var metadata = RunbookHost.Keys.Sops.Sops.ReadMetadata(file, SopsFormat.Yaml);
        Assert.StartsWith("age1pq1", metadata.Age.Single().Recipient);
        Assert.Throws<SopsException>(() => RunbookHost.Keys.Sops.Sops.Decrypt(file, SopsFormat.Yaml, new AgeCliKeyService(keyFile)));
    }

    [Fact]
    public void YamlCommentsAreDecryptedWithTheirMappingPath()
    {
        var f = SopsFixtures.Get("getsops-sops-pr1031", "example.yaml");
        var plain = Encoding.UTF8.GetString(RunbookHost.Keys.Sops.Sops.Decrypt(File.ReadAllBytes(f.FullPath), SopsFormat.Yaml, new KnownDataKeyService(f.DataKey)));
        Assert.Contains("        # private key for secret operations in app2\n", plain);
        Assert.DoesNotContain("#ENC[", plain);
        Assert.Equal(3, plain.Split('\n').Count(l => l.StartsWith("                #", StringComparison.Ordinal)));
    }

    [Fact]
    public void TopLevelCommentsDecryptWithColonAad()
    {
        var f = SopsFixtures.Get("getsops-sops-HEAD", "functional-tests/res/comments.enc.yaml");
        var plain = Encoding.UTF8.GetString(RunbookHost.Keys.Sops.Sops.Decrypt(File.ReadAllBytes(f.FullPath), SopsFormat.Yaml, new KnownDataKeyService(f.DataKey)));
        Assert.DoesNotContain("ENC[", plain);
        Assert.Equal(2, plain.Split('\n').Count(l => l.StartsWith('#')));
    }

    [Fact]
    public void IniCommentAndSectionsDecrypt()
    {
        var f = SopsFixtures.Get("getsops-sops-pr1031", "example.ini");
        var plain = Encoding.UTF8.GetString(RunbookHost.Keys.Sops.Sops.Decrypt(File.ReadAllBytes(f.FullPath), SopsFormat.Ini, new AgeCliKeyService(f.KeyFilePath!)));
        Assert.DoesNotContain("ENC[", plain);
        Assert.Contains("[name]\n", plain);
        Assert.Contains("firstName = John\n", plain);
        Assert.Contains("notsecret_unencrypted = hi there!\n", plain);
        Assert.DoesNotContain("[sops]", plain);
    }

    [Fact]
    public void DotenvKeepsTheSpaceBeforeEquals()
    {
        var f = SopsFixtures.Get("getsops-sops-HEAD", "functional-tests/res/format.enc.env");
        var plain = Encoding.UTF8.GetString(RunbookHost.Keys.Sops.Sops.Decrypt(File.ReadAllBytes(f.FullPath), SopsFormat.Dotenv, new KnownDataKeyService(f.DataKey)));
        Assert.Equal("foo = bar\n", plain);
    }

    [Fact]
    public void BinaryDecryptsToTheRawData()
    {
        var f = SopsFixtures.Get("fluxcd-kustomize-controller", "files/file.txt");
        var plain = RunbookHost.Keys.Sops.Sops.Decrypt(File.ReadAllBytes(f.FullPath), SopsFormat.Binary, new AgeCliKeyService(f.KeyFilePath!));
        Assert.Equal(f.ValuesByAad["data:"].Single().Plaintext, Encoding.UTF8.GetString(plain));
    }

    [Fact]
    public void EncryptedRegexFixtureKeepsClearFieldsInTheMac()
    {
        var f = SopsFixtures.Get("fluxcd-kustomize-controller", "algorithms/age.yaml");
        var text = File.ReadAllText(f.FullPath).Replace("name: age", "name: agf");
        Assert.Throws<SopsMacMismatchException>(() =>
            RunbookHost.Keys.Sops.Sops.Decrypt(Encoding.UTF8.GetBytes(text), SopsFormat.Yaml, new KnownDataKeyService(f.DataKey)));
    }
}
