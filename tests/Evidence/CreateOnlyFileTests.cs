using System.Text;
using RunbookHost.Evidence;
using RunbookHost.IO;

namespace RunbookHost.Tests.Evidence;

public sealed class CreateOnlyFileTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("rbh-createonly-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void NeverReplacesAnExistingFile()
    {
        var path = Path.Combine(_folder, "f");
        Assert.True(CreateOnlyFile.TryCreate(path, "first"u8, AtomicFile.PrivateFile));
        Assert.False(CreateOnlyFile.TryCreate(path, "second"u8, AtomicFile.PrivateFile));
        Assert.Equal("first", File.ReadAllText(path));
        Assert.Equal([path], Directory.GetFiles(_folder));
    }

    [Fact]
    public void OfManyRacingCreatorsExactlyOneWinsAndItsContentStays()
    {
        var path = Path.Combine(_folder, "raced");
        var won = new bool[32];
        Parallel.For(0, won.Length, i => won[i] = CreateOnlyFile.TryCreate(path, Encoding.ASCII.GetBytes($"writer {i}"), AtomicFile.PrivateFile));
        var winner = Assert.Single(Enumerable.Range(0, won.Length), i => won[i]);
        Assert.Equal($"writer {winner}", File.ReadAllText(path));
        Assert.Equal([path], Directory.GetFiles(_folder));
    }
}
