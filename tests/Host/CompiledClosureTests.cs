using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using RunbookHost.Cli.Scripting;
using RunbookHost.Runbooks;

namespace RunbookHost.Tests.Host;

/// <summary>What the compiler gets is exactly the closure that was hashed and checked, and nothing it could read differently.</summary>
public sealed class CompiledClosureTests : IDisposable
{
    private readonly string runbooks = Path.Combine(Directory.CreateTempSubdirectory("rbh-closure-").FullName, "runbooks");

    public CompiledClosureTests() => Directory.CreateDirectory(Path.Combine(runbooks, "shared"));

    public void Dispose() => Directory.Delete(Path.GetDirectoryName(runbooks)!, recursive: true);

    [Fact]
    public void FilesSwappedAfterHashingAreNotWhatIsCompiled()
    {
        Write("main.csx", Runbook("main", "#load \"shared/steps.csx\"\nreturn Text() + \"reviewed-main\";"));
        Write("shared/steps.csx", Shared("string Text() => \"reviewed-shared\";"));
        var source = RunbookSource.Load(runbooks, Path.Combine(runbooks, "main.csx"));

        // Between hashing and compiling, both files are replaced on disk.
        Write("main.csx", Runbook("main", "#load \"shared/steps.csx\"\nreturn Text() + \"swapped-main\";"));
        Write("shared/steps.csx", Shared("string Text() => \"swapped-shared\";"));
        var assembly = RunbookCompiler.Compile(source, "closure-test");

        Assert.True(Contains(assembly, "reviewed-main") && Contains(assembly, "reviewed-shared"));
        Assert.False(Contains(assembly, "swapped-main") || Contains(assembly, "swapped-shared"));
        Assert.Equal(source.Closure.Select(f => f.Sha256), source.Closure.Select(f => Sha256(f.Bytes.ToArray())));
    }

    [Fact]
    public void TheClosureAndLockFileAreExposedAsEvidenceSubjectsInClosureOrder()
    {
        Write("main.csx", Runbook("main", "#load \"shared/a.csx\"\n#load \"shared/b.csx\"\nreturn 1;"));
        Write("shared/a.csx", Shared("#load \"b.csx\"\nint A = 1;"));
        Write("shared/b.csx", Shared("int B = 2;"));
        var catalog = new RunbookCatalog(runbooks);
        File.WriteAllText(Path.Combine(runbooks, RunbookCatalog.LockFileName), catalog.ComputeLock().Format());

        var source = catalog.FindPinned("main");

        Assert.Equal(["runbooks/main.csx", "runbooks/shared/a.csx", "runbooks/shared/b.csx", "runbooks/runbooks.lock"], source.Subjects.Select(s => s.Name));
        Assert.Equal(Sha256(File.ReadAllBytes(Path.Combine(runbooks, "runbooks.lock"))), source.LockFile!.Sha256);
        Assert.Equal(Sha256(File.ReadAllBytes(Path.Combine(runbooks, "shared", "b.csx"))), source.Subjects[2].Sha256);
    }

    [Theory]
    [InlineData("#  load \"shared/other.csx\"")]
    [InlineData("#\tload \"shared/other.csx\"")]
    [InlineData("# r \"System.Net.Http\"")]
    public void ADirectiveTheCompilerSeesOutsideTheScannedClosureRefusesTheCompile(string directive)
    {
        Write("main.csx", Runbook("main", "return 1;"));
        Write("shared/other.csx", Shared("int X = 1;"));
        var source = RunbookSource.Load(runbooks, Path.Combine(runbooks, "main.csx"));
        // As if the scan had missed the directive: the compiler's own tree carries it.
        var tree = CSharpSyntaxTree.ParseText(directive + "\nreturn 1;", new CSharpParseOptions(kind: SourceCodeKind.Script), source.Path);

        var refused = Assert.Throws<RunbookCompileException>(() => CompiledDirectives.Check(source, [tree]));

        Assert.StartsWith("runbooks/main.csx(1,1): ", refused.Message);
    }

    private void Write(string relative, string text) => File.WriteAllText(Path.Combine(runbooks, relative), text);

    private static string Runbook(string name, string body) => $"// @runbook {name}\n// @version 1.0.0\n// @summary test\n{body}\n";

    private static string Shared(string body) => $"// @shared steps\n// @version 1.0.0\n// @summary test\n{body}\n";

    /// <summary>String literals live in the assembly's user-string heap as UTF-16.</summary>
    private static bool Contains(byte[] assembly, string literal) => assembly.AsSpan().IndexOf(Encoding.Unicode.GetBytes(literal)) >= 0;

    private static string Sha256(byte[] bytes) => Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes));
}
