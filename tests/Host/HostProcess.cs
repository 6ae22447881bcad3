using System.Text;
using CliWrap;
using CliWrap.Buffered;

namespace RunbookHost.Tests.Host;

/// <summary>
/// Runs the real host as a separate process (`dotnet runbook-host.dll …`), the way an operator or the
/// scheduler does, in a scratch working folder with its own secrets, evidence and cache folders.
/// </summary>
public sealed class HostProcess : IDisposable
{
    public HostProcess()
    {
        WorkDir = Directory.CreateTempSubdirectory("rbh-host-").FullName;
        Directory.CreateDirectory(RunbooksDir);
    }

    public string WorkDir { get; }
    public string RunbooksDir => Path.Combine(WorkDir, "runbooks");
    public string EvidenceDir => Path.Combine(WorkDir, "evidence");
    public string SecretsDir => Path.Combine(WorkDir, ".secrets");
    /// <summary>Variables for the host process; a null value removes one the test process has.</summary>
    public Dictionary<string, string?> Environment { get; } = new();
    public string CacheDir => Path.Combine(WorkDir, ".cache", "runbooks");
    public string LogsDir => Path.Combine(WorkDir, ".cache", "logs");

    /// <summary>The host's own build output (same configuration as the tests), with its own deps.json and runtimeconfig.</summary>
    public static string HostDll { get; } = FindHostDll();

    private static string FindHostDll()
    {
        // tests/bin/<Configuration>/<tfm>/ -> host/bin/<Configuration>/<tfm>/runbook-host.dll
        var testsOutput = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd('/'));
        var tfm = testsOutput.Name;
        var configuration = testsOutput.Parent!.Name;
        var repo = testsOutput.Parent!.Parent!.Parent!.Parent!.FullName;
        var dll = Path.Combine(repo, "host", "bin", configuration, tfm, "runbook-host.dll");
        return File.Exists(dll) ? dll : throw new FileNotFoundException($"build the host first: {dll} is missing");
    }

    public void WriteRunbook(string relativePath, string source) =>
        File.WriteAllText(Path.Combine(RunbooksDir, relativePath), source.ReplaceLineEndings("\n"));

    /// <summary>Regenerates runbooks.lock, as a reviewer would after accepting the sources.</summary>
    public async Task Lock() => Assert.Equal(0, (await Run("list", "--write-lock")).ExitCode);

    public Task<BufferedCommandResult> Run(params string[] args) => RunWithInput(null, args);

    /// <summary>As <see cref="Run"/>, with <paramref name="standardInput"/> piped to the host (null: no input).</summary>
    public async Task<BufferedCommandResult> RunWithInput(string? standardInput, params string[] args)
    {
        var environment = new Dictionary<string, string?>
        {
            ["RUNBOOKHOST_Paths__Secrets"] = SecretsDir,
            ["RUNBOOKHOST_Paths__Evidence"] = EvidenceDir,
            ["RUNBOOKHOST_Paths__Cache"] = CacheDir,
            ["RUNBOOKHOST_Paths__Logs"] = LogsDir,
            ["RUNBOOKHOST_Postgres__AdminConnectionString"] = "",
            ["RUNBOOKHOST_Redis__Configuration"] = "",
            // A developer's shell (scripts/local-services.sh) points at the local nats-server and its files: a test opts in.
            ["RUNBOOKHOST_Nats__Url"] = "",
            ["RUNBOOKHOST_Nats__ConfigFile"] = "",
            ["RUNBOOKHOST_Nats__PidFile"] = "",
            ["RUNBOOKHOST_Nats__StoreDir"] = "",
        };
        foreach (var (key, value) in Environment)
            environment[key] = value;
        return await CliWrap.Cli.Wrap("dotnet")
            .WithArguments(new[] { HostDll }.Concat(args))
            .WithWorkingDirectory(WorkDir)
            .WithEnvironmentVariables(environment)
            .WithStandardInputPipe(standardInput is null ? PipeSource.Null : PipeSource.FromString(standardInput))
            .WithValidation(CommandResultValidation.None)
            .ExecuteBufferedAsync(Encoding.UTF8, Encoding.UTF8);
    }

    /// <summary>
    /// The evidence signing key's public half, derived from the private key in the secrets folder and written outside the
    /// evidence tree: what an operator hands an auditor to pin (`evidence verify --key`).
    /// </summary>
    public string TrustedKeyFile()
    {
        using var key = System.Security.Cryptography.ECDsa.Create();
        key.ImportFromPem(File.ReadAllText(Path.Combine(SecretsDir, "evidence-signing-key.pem")));
        var path = Path.Combine(WorkDir, "trusted-evidence-key.pub.pem");
        File.WriteAllText(path, key.ExportSubjectPublicKeyInfoPem() + "\n");
        return path;
    }

    /// <summary>`evidence verify` of the whole evidence folder, offline, with the host's key pinned.</summary>
    public Task<BufferedCommandResult> VerifyEvidenceOffline() =>
        Run("evidence", "verify", EvidenceDir, "--no-registry", "--key", TrustedKeyFile());

    /// <summary>Every file under the work folder except the runbooks the test wrote: what a run left behind.</summary>
    public IReadOnlyList<string> FilesWritten() =>
        Directory.EnumerateFiles(WorkDir, "*", SearchOption.AllDirectories)
            .Where(f => !f.StartsWith(RunbooksDir + "/", StringComparison.Ordinal))
            .ToList();

    public void Dispose()
    {
        try { Directory.Delete(WorkDir, recursive: true); } catch (IOException) { }
    }
}
