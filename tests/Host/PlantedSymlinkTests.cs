namespace RunbookHost.Tests.Host;

/// <summary>
/// A symbolic link planted where the host opens a lock or log file would make it create or write a file wherever the
/// link points (as root: anywhere). The host opens those files without following links, and refuses with exit 2.
/// </summary>
public sealed class PlantedSymlinkTests : IDisposable
{
    private readonly string elsewhere = Directory.CreateTempSubdirectory("rbh-victim-").FullName;

    public void Dispose() => Directory.Delete(elsewhere, recursive: true);

    [Fact]
    public async Task ASymlinkAtTheTenantLockPathIsRefused()
    {
        using var host = await AnswerHost();
        var lockPath = Path.Combine(host.SecretsDir, "locks", "acme.lock");
        Directory.CreateDirectory(Path.GetDirectoryName(lockPath)!);
        File.CreateSymbolicLink(lockPath, Victim);

        var run = await host.Run("run", "answer", "--tenant", "acme");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains($"tenant lock file {lockPath} is a symbolic link", run.StandardError);
        Assert.False(File.Exists(Victim));
        Assert.False(Directory.Exists(host.EvidenceDir));
    }

    [Fact]
    public async Task ASymlinkAtTodaysLogFileIsRefused()
    {
        using var host = await AnswerHost();
        Directory.CreateDirectory(host.LogsDir);
        // Serilog's daily file name, in local time as Serilog names it.
        var logFile = Path.Combine(host.LogsDir, $"runbook-host-{DateTime.Now:yyyyMMdd}.json");
        File.CreateSymbolicLink(logFile, Victim);

        var run = await host.Run("run", "answer", "--tenant", "acme");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains($"log file {logFile} is not a regular file", run.StandardError);
        Assert.False(File.Exists(Victim));
        Assert.False(Directory.Exists(host.EvidenceDir));
    }

    [Fact]
    public async Task ASymlinkAtTheEvidenceLockIsNotFollowed()
    {
        using var host = await AnswerHost();
        var lockPath = Path.Combine(host.EvidenceDir, "acme", ".lock");
        Directory.CreateDirectory(Path.GetDirectoryName(lockPath)!);
        File.CreateSymbolicLink(lockPath, Victim);

        var run = await host.Run("run", "answer", "--tenant", "acme");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains($"evidence lock file {lockPath} is a symbolic link", run.StandardError);
        Assert.False(File.Exists(Victim));
    }

    private string Victim => Path.Combine(elsewhere, "created-through-the-link");

    private static async Task<HostProcess> AnswerHost()
    {
        var host = new HostProcess();
        host.WriteRunbook("answer.csx", RunbookSources.Answer);
        await host.Lock();
        return host;
    }
}
