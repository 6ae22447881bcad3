using System.Text;
using System.Text.RegularExpressions;
using RunbookHost.Keys.Sops;
using RunbookHost.Tests.Support;
using SopsApi = RunbookHost.Keys.Sops.Sops;

namespace RunbookHost.Tests.Keys.Sops;

/// <summary>Values as sops writes them: tenant secret dictionaries, YAML comments, Go float formatting, YAML quoting.</summary>
public partial class SopsWriteTests
{
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
