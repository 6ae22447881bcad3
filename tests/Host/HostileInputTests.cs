using RunbookHost.Cli;
using RunbookHost.Tests.Tenants;

namespace RunbookHost.Tests.Host;

/// <summary>The hostile-id corpus through the real command line: exit 2, and nothing written anywhere.</summary>
public class HostileInputTests
{
    [Fact]
    public void EveryHostileTenantIdIsRejectedWithExitTwoAndNothingWritten()
    {
        var runbooks = Directory.CreateTempSubdirectory("rbh-hostile-").FullName;
        var before = Snapshot(Environment.CurrentDirectory);
        try
        {
            File.WriteAllText(Path.Combine(runbooks, "answer.csx"), RunbookSources.Answer);
            // Locked, so that an id wrongly accepted would really run (and be caught), not fail on the lock.
            var catalog = new RunbookHost.Runbooks.RunbookCatalog(runbooks);
            File.WriteAllText(Path.Combine(runbooks, "runbooks.lock"), catalog.ComputeLock().Format());
            var accepted = new List<string>();
            foreach (var hostile in HostileInputs.TenantIds().Distinct())
            {
                var exitCode = Program.Main(["run", "answer", "--tenant", hostile, "--runbooks", runbooks]);
                if (exitCode != 2)
                    accepted.Add($"{Escape(hostile)} -> exit {exitCode}");
            }
            Assert.Empty(accepted);
            Assert.Equal(["answer.csx", "runbooks.lock"], Directory.EnumerateFileSystemEntries(runbooks).Select(Path.GetFileName).Order());
            Assert.Equal(before, Snapshot(Environment.CurrentDirectory));
        }
        finally
        {
            Directory.Delete(runbooks, recursive: true);
        }
    }

    [Fact]
    public async Task HostileParameterValuesAreRejectedWithExitTwo()
    {
        using var host = new HostProcess();
        host.WriteRunbook("answer.csx", RunbookSources.Answer);
        await host.Lock();
        string[] hostile = ["hello'; DROP DATABASE postgres; --", "hello world", "../../etc/passwd\u0000", "hеllo", "hello\n", new string('h', 300), "*", ""];
        foreach (var value in hostile)
        {
            var run = await host.Run("run", "answer", "--tenant", "acme", "--param", $"greeting={value}");
            Assert.True(run.ExitCode == 2, $"{Escape(value)} -> exit {run.ExitCode}");
        }
        Assert.False(Directory.Exists(host.EvidenceDir));
    }

    private static string[] Snapshot(string folder) =>
        Directory.EnumerateFileSystemEntries(folder, "*", SearchOption.TopDirectoryOnly).Order(StringComparer.Ordinal).ToArray();

    private static string Escape(string value) => System.Text.Json.JsonSerializer.Serialize(value);
}
