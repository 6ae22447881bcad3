using System.Text;
using CliWrap.Buffered;

namespace RunbookHost.Tests.Host;

/// <summary>`runbook-host age …` against the real age 1.1.1 CLI, both directions.</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public class AgeCommandTests
{
    [Fact]
    public async Task AKeyFromAgeKeygenEncryptsForTheRealAgeToolToDecrypt()
    {
        using var host = new HostProcess();
        var keyFile = Path.Combine(host.WorkDir, "key.txt");
        Assert.Equal(0, (await host.Run("age", "keygen", "-o", keyFile)).ExitCode);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(keyFile));
        var recipient = File.ReadAllLines(keyFile).Single(l => l.StartsWith("# public key: ", StringComparison.Ordinal))["# public key: ".Length..];
        var plain = Path.Combine(host.WorkDir, "plain.txt");
        File.WriteAllText(plain, "recovered secret");

        var encrypted = await host.Run("age", "encrypt", "-r", recipient, "-a", plain);
        var cipher = Path.Combine(host.WorkDir, "cipher.age");
        File.WriteAllText(cipher, encrypted.StandardOutput);
        var decrypted = await CliWrap.Cli.Wrap("age").WithArguments(["-d", "-i", keyFile, cipher]).ExecuteBufferedAsync();

        Assert.Equal("recovered secret", decrypted.StandardOutput);
    }

    [Fact]
    public async Task AFileTheRealAgeToolEncryptedDecryptsAndAWrongKeyExitsThreeWithNothingOnStdout()
    {
        using var host = new HostProcess();
        var keyFile = Path.Combine(host.WorkDir, "key.txt");
        var otherKey = Path.Combine(host.WorkDir, "other.txt");
        await CliWrap.Cli.Wrap("age-keygen").WithArguments(["-o", keyFile]).ExecuteBufferedAsync();
        await CliWrap.Cli.Wrap("age-keygen").WithArguments(["-o", otherKey]).ExecuteBufferedAsync();
        var recipient = (await CliWrap.Cli.Wrap("age-keygen").WithArguments(["-y", keyFile]).ExecuteBufferedAsync()).StandardOutput.Trim();
        var cipher = Path.Combine(host.WorkDir, "cipher.age");
        await (CliWrap.PipeSource.FromString("archived key material") | CliWrap.Cli.Wrap("age").WithArguments(["-e", "-r", recipient, "-o", cipher])).ExecuteAsync();

        var good = await host.Run("age", "decrypt", "-i", keyFile, cipher);
        var wrong = await host.Run("age", "decrypt", "-i", otherKey, cipher);

        Assert.Equal(0, good.ExitCode);
        Assert.Equal("archived key material", good.StandardOutput);
        Assert.Equal(3, wrong.ExitCode);
        Assert.Equal("", wrong.StandardOutput);
        Assert.Single(wrong.StandardError.Trim().Split('\n'));
    }

    [Fact]
    public async Task KeygenRefusesToOverwriteAnExistingKeyFile()
    {
        using var host = new HostProcess();
        var keyFile = Path.Combine(host.WorkDir, "key.txt");
        File.WriteAllText(keyFile, "precious", Encoding.UTF8);

        var run = await host.Run("age", "keygen", "-o", keyFile);

        Assert.Equal(2, run.ExitCode);
        Assert.Equal("precious", File.ReadAllText(keyFile));
    }
}
