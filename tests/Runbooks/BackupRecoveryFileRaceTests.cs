using RunbookHost.Keys.KeyRing;

namespace RunbookHost.Tests.Runbooks;

/// <summary>
/// Finding 14: the restore's file parameter is checked and read through one open handle. While another thread swaps the
/// path between a regular file and a symbolic link to another file, every read returns the regular file or is refused;
/// a check by name followed by a reopen by name would sometimes read through the link.
/// </summary>
public sealed class BackupRecoveryFileRaceTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("rbh-backup-race-").FullName;

    [Fact]
    public async Task ASymbolicLinkSwappedInWhileTheBackupIsCheckedIsNeverReadThrough()
    {
        var path = Path.Combine(folder, "backup.enc.yaml");
        var regular = Path.Combine(folder, "regular.tmp");
        var link = Path.Combine(folder, "link.tmp");
        var target = Path.Combine(folder, "elsewhere.enc.yaml");
        File.WriteAllText(target, "through-the-link");
        File.WriteAllText(path, "the-backup-itself");
        using var stop = new CancellationTokenSource();
        var swapper = Task.Run(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                File.WriteAllText(regular, "the-backup-itself");
                File.Move(regular, path, overwrite: true); // rename(2): the path is always something
                File.CreateSymbolicLink(link, target);
                File.Move(link, path, overwrite: true);
            }
        });
        var reads = 0;
        var refusals = 0;
        var until = DateTime.UtcNow.AddSeconds(4);
        try
        {
            while (DateTime.UtcNow < until)
            {
                try
                {
                    Assert.Equal("the-backup-itself", System.Text.Encoding.UTF8.GetString(SecretsRestore.ReadValidated(path)));
                    reads++;
                }
                catch (BackupFileException error)
                {
                    Assert.Contains("symbolic link", error.Message);
                    refusals++;
                }
            }
        }
        finally
        {
            stop.Cancel();
            await swapper;
        }
        Assert.True(reads > 0 && refusals > 0, $"the swap raced neither way ({reads} reads, {refusals} refusals)");
    }

    public void Dispose() => Directory.Delete(folder, recursive: true);
}
