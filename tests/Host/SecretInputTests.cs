using System.Security.Cryptography;
using System.Text;

namespace RunbookHost.Tests.Host;

/// <summary>
/// Secret parameters without argv (where /proc/PID/cmdline shows them to every local user): from a file only the
/// running user can read, or from standard input. And values and configuration errors never echo a secret.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public class SecretInputTests
{
    private const string Secret = "s3cr3t-Value-that-must-not-leak";

    [Fact]
    public async Task ASecretParameterArrivesFromAPrivateParamFileAndIsNeverWrittenAnywhere()
    {
        using var host = await DigestHost();
        var file = Path.Combine(host.WorkDir, "params");
        File.WriteAllText(file, $"# the rotation token\ntoken={Secret}\n");
        File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite);

        var run = await host.Run("run", "digest", "--tenant", "acme", "--param-file", file);

        Assert.True(run.ExitCode == 0, run.StandardError);
        Assert.Contains($"result: \"{Digest(Secret)}\"", run.StandardOutput);
        AssertNowhere(host, run);
    }

    [Fact]
    public async Task ASecretParameterArrivesFromStandardInput()
    {
        using var host = await DigestHost();

        var run = await host.RunWithInput($"token={Secret}\n", "run", "digest", "--tenant", "acme", "--param-file=-");

        Assert.True(run.ExitCode == 0, run.StandardError);
        Assert.Contains($"result: \"{Digest(Secret)}\"", run.StandardOutput);
        AssertNowhere(host, run);
    }

    [Theory]
    [InlineData("644", "may be read or changed by group or others: run chmod 600")]
    [InlineData("640", "may be read or changed by group or others: run chmod 600")]
    [InlineData("604", "may be read or changed by group or others: run chmod 600")]
    [InlineData("nobody", "is owned by uid 65534, not by the user running runbook-host")]
    [InlineData("symlink", "is a symbolic link")]
    public async Task AParamFileOthersCouldReadOrChangeIsRefused(string how, string expected)
    {
        using var host = await DigestHost();
        var file = Path.Combine(host.WorkDir, "params");
        File.WriteAllText(file, $"token={Secret}\n");
        File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        if (how == "nobody")
            await CliWrap.Cli.Wrap("chown").WithArguments(["65534", file]).ExecuteAsync();
        else if (how == "symlink")
        {
            File.Move(file, file + ".real");
            File.CreateSymbolicLink(file, file + ".real");
        }
        else
            File.SetUnixFileMode(file, (UnixFileMode)Convert.ToInt32(how, 8));

        var run = await host.Run("run", "digest", "--tenant", "acme", "--param-file", file);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains($"parameter file {file} {expected}", run.StandardError);
        AssertNowhere(host, run);
        Assert.False(Directory.Exists(host.EvidenceDir));
    }

    [Theory]
    [InlineData("token=abc\n")]
    [InlineData("token=abc\r\n")]
    [InlineData("token=abc\r")]
    public async Task AParameterValueWithATrailingLineBreakIsRefused(string param)
    {
        using var host = await DigestHost();

        var run = await host.Run("run", "digest", "--tenant", "acme", "--param", param);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("--param token contains characters outside printable ASCII", run.StandardError);
        Assert.False(Directory.Exists(host.EvidenceDir));
    }

    [Theory]
    [InlineData("RUNBOOKHOST_Run__Parallelism", "Run:Parallelism", "a whole number")]
    [InlineData("RUNBOOKHOST_Redis__AclSave", "Redis:AclSave", "true or false")]
    [InlineData("RUNBOOKHOST_Schedule__CheckinIntervalSeconds", "Schedule:CheckinIntervalSeconds", "a whole number")]
    public async Task AWrongTypedConfigurationValueIsNamedByItsKeyAndNeverEchoed(string variable, string key, string expected)
    {
        using var host = await DigestHost();
        host.Environment[variable] = Secret;

        var run = await host.Run("run", "digest", "--tenant", "acme", "--param", "token=x");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains($"configuration key {key} ({variable}) must be {expected}", run.StandardError);
        AssertNowhere(host, run);
    }

    [Fact]
    public async Task AWrongTypedValueInTheConfigFileIsNeverEchoed()
    {
        using var host = await DigestHost();
        var config = Path.Combine(host.WorkDir, "config.json");
        File.WriteAllText(config, $$$"""{"Keys": {"ArchiveRetentionDays": "{{{Secret}}}"}}""");

        var run = await host.Run("doctor", "--config", config);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("configuration key Keys:ArchiveRetentionDays (RUNBOOKHOST_Keys__ArchiveRetentionDays) must be a whole number", run.StandardError);
        Assert.DoesNotContain(Secret, run.StandardOutput + run.StandardError);
    }

    private static async Task<HostProcess> DigestHost()
    {
        var host = new HostProcess();
        host.WriteRunbook("digest.csx", RunbookSources.SecretDigest);
        await host.Lock();
        return host;
    }

    private static string Digest(string value) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(value)));

    /// <summary>Not in the output, nor in any file the run left (logs, evidence and its payload).</summary>
    private static void AssertNowhere(HostProcess host, CliWrap.Buffered.BufferedCommandResult run)
    {
        Assert.DoesNotContain(Secret, run.StandardOutput + run.StandardError);
        foreach (var file in host.FilesWritten().Where(f => !f.EndsWith("params", StringComparison.Ordinal) && !f.EndsWith(".real", StringComparison.Ordinal)))
        {
            var text = File.ReadAllText(file);
            Assert.DoesNotContain(Secret, text);
            if (text.Contains("\"payload\"", StringComparison.Ordinal))
                Assert.DoesNotContain(Secret, Encoding.UTF8.GetString(Convert.FromBase64String(System.Text.Json.Nodes.JsonNode.Parse(text)!["payload"]!.GetValue<string>())));
        }
    }
}
