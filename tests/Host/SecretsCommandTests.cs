namespace RunbookHost.Tests.Host;

/// <summary>`runbook-host secrets encrypt|decrypt`, the sops-like commands an operator uses by hand.</summary>
public class SecretsCommandTests
{
    [Fact]
    public async Task AFileEncryptedForARecipientDecryptsWithItsKeyFromEachIdentitySourceSopsUses()
    {
        using var host = new HostProcess();
        var (keyFile, recipient) = await NewKey(host);
        var plain = Path.Combine(host.WorkDir, "app.yaml");
        File.WriteAllText(plain, "db:\n    password: hunter2\nport: 5432\n");

        var encrypted = await host.Run("secrets", "encrypt", plain, "--age", recipient);
        Assert.Equal(0, encrypted.ExitCode);
        Assert.DoesNotContain("hunter2", encrypted.StandardOutput);
        var cipher = Path.Combine(host.WorkDir, "app.enc.yaml");
        File.WriteAllText(cipher, encrypted.StandardOutput);

        var byOption = await host.Run("secrets", "decrypt", cipher, "--identity", keyFile);
        host.Environment["SOPS_AGE_KEY_FILE"] = keyFile;
        var byKeyFileVariable = await host.Run("secrets", "decrypt", cipher);
        host.Environment.Remove("SOPS_AGE_KEY_FILE");
        host.Environment["SOPS_AGE_KEY"] = File.ReadAllText(keyFile);
        var byKeyVariable = await host.Run("secrets", "decrypt", cipher);

        foreach (var run in new[] { byOption, byKeyFileVariable, byKeyVariable })
        {
            Assert.True(run.ExitCode == 0, run.StandardError);
            Assert.Equal("db:\n    password: hunter2\nport: 5432\n", run.StandardOutput);
        }
    }

    [Fact]
    public async Task ATamperedValueOrAForeignKeyExitsThreeWithOneLineAndNoPlaintext()
    {
        using var host = new HostProcess();
        var (keyFile, recipient) = await NewKey(host);
        var (otherKey, _) = await NewKey(host, "other.txt");
        var plain = Path.Combine(host.WorkDir, "app.yaml");
        File.WriteAllText(plain, "token: s3cr3t-value\nlevel: 3\n");
        Assert.Equal(0, (await host.Run("secrets", "encrypt", plain, "--age", recipient, "--in-place")).ExitCode);
        var encrypted = File.ReadAllText(plain);

        var foreign = await host.Run("secrets", "decrypt", plain, "--identity", otherKey);
        File.WriteAllText(plain, encrypted.Replace("level: ENC[AES256_GCM,data:", "level: ENC[AES256_GCM,data:AA", StringComparison.Ordinal));
        var tampered = await host.Run("secrets", "decrypt", plain, "--identity", keyFile);

        foreach (var run in new[] { foreign, tampered })
        {
            Assert.Equal(3, run.ExitCode);
            Assert.Equal("", run.StandardOutput);
            Assert.Single(run.StandardError.Trim().Split('\n'));
            Assert.DoesNotContain("s3cr3t-value", run.StandardError);
        }
    }

    [Theory]
    [InlineData("app.env", "TOKEN=s3cr3t-value\n", "dotenv")]
    [InlineData("app.ini", "[db]\ntoken = s3cr3t-value\n", "ini")]
    public async Task EncryptingAFormatItCannotWriteIsAUsageErrorWithExitTwoAndWritesNothing(string name, string content, string format)
    {
        using var host = new HostProcess();
        var (_, recipient) = await NewKey(host);
        var plain = Path.Combine(host.WorkDir, name);
        File.WriteAllText(plain, content);

        foreach (var run in new[] { await host.Run("secrets", "encrypt", plain, "--age", recipient), await host.Run("secrets", "encrypt", plain, "--age", recipient, "--in-place") })
        {
            Assert.Equal(2, run.ExitCode);
            Assert.Equal("", run.StandardOutput);
            Assert.Single(run.StandardError.Trim().Split('\n'));
            Assert.Contains(format, run.StandardError);
            Assert.DoesNotContain("s3cr3t-value", run.StandardError);
        }
        Assert.Equal(content, File.ReadAllText(plain));
    }

    private static async Task<(string KeyFile, string Recipient)> NewKey(HostProcess host, string name = "key.txt")
    {
        var keyFile = Path.Combine(host.WorkDir, name);
        Assert.Equal(0, (await host.Run("age", "keygen", "-o", keyFile)).ExitCode);
        var recipient = File.ReadAllLines(keyFile).Single(l => l.StartsWith("# public key: ", StringComparison.Ordinal))["# public key: ".Length..];
        return (keyFile, recipient);
    }
}
