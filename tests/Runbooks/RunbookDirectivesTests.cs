using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using RunbookHost.Runbooks;

namespace RunbookHost.Tests.Runbooks;

/// <summary>
/// The host's directive scan against the compiler's own parser, over every combination of the characters that could
/// hide a directive from a simple pattern: whatever #load or #r Roslyn sees, the scan sees too, or refuses the file.
/// </summary>
public class RunbookDirectivesTests
{
    private static readonly string[] Blanks = ["", " ", "\t", "\v", "\f", "\u00A0", "\u3000", "\uFEFF", "\u001A", "\u200B"];
    private static readonly string[] AfterHash = ["", " ", "\t", "  \t", "\u00A0", "\u2003"];
    private static readonly string[] LineBreaks = ["\n", "\r\n", "\r", "\u0085", "\u2028", "\u2029"];
    private static readonly string[] Directives = ["load", "r", "lo\u200Bad", "\\u006Coad", "\\u0072"];
    private static readonly string[] Arguments = [" \"shared/x.csx\"", "\"shared/x.csx\"", "\t\"shared/x.csx\" // c", " @\"shared/x.csx\"", " \"shared\\x.csx\"", " /*c*/ \"shared/x.csx\"", " \"shared/x.csx\" junk"];

    [Fact]
    public void TheScanSeesEveryDirectiveTheCompilerSeesOrRefusesTheFile()
    {
        var missed = new List<string>();
        int compilerLoads = 0, scannedLoads = 0;
        foreach (var text in Variants())
        {
            var (roslynLoads, roslynReferences) = CompilerDirectives(text);
            compilerLoads += roslynLoads.Count;
            IReadOnlyList<RunbookDirectives.Load> scanned;
            try
            {
                scanned = RunbookDirectives.Scan("runbooks/x.csx", text);
            }
            catch (RunbookCompileException)
            {
                continue; // refused: nothing of it is compiled
            }
            scannedLoads += scanned.Count;
            if (roslynReferences || roslynLoads.Except(scanned.Select(l => l.Target)).Any())
                missed.Add(System.Text.Json.JsonSerializer.Serialize(text));
        }
        Assert.Empty(missed);
        Assert.True(compilerLoads > 500 && scannedLoads > 500, $"the corpus must exercise real loads: compiler {compilerLoads}, scan {scannedLoads}");
    }

    [Theory]
    [InlineData("#r \"x\"")]
    [InlineData("# r \"x\"")]
    [InlineData("#\tr \"x\"")]
    [InlineData("\uFEFF#r \"x\"")]
    [InlineData("// c\u2028#r \"x\"")]
    public void EveryFormOfHashRIsRefused(string text)
    {
        var refused = Assert.Throws<RunbookCompileException>(() => RunbookDirectives.Scan("runbooks/x.csx", text));
        Assert.Contains("#r is not allowed", refused.Message);
    }

    [Fact]
    public void ASourceThatIsNotUtf8IsRefusedRatherThanReadAnotherWay()
    {
        // 0xA0 alone: a no-break space (whitespace before '#') if the compiler fell back to Latin-1.
        byte[] bytes = [0xA0, .. "#load \"shared/x.csx\"\n"u8];
        Assert.Throws<RunbookDefinitionException>(() => RunbookDirectives.Decode("runbooks/x.csx", bytes));
    }

    private static IEnumerable<string> Variants() =>
        from blank in Blanks
        from after in AfterHash
        from lineBreak in LineBreaks
        from directive in Directives
        from argument in Arguments
        select $"// header{lineBreak}{blank}#{after}{directive}{argument}\nreturn 1;";

    private static (List<string> Loads, bool References) CompilerDirectives(string text)
    {
        var root = (CompilationUnitSyntax)CSharpSyntaxTree.ParseText(text, new CSharpParseOptions(kind: SourceCodeKind.Script)).GetRoot();
        return (root.GetLoadDirectives().Select(d => d.File.ValueText).Where(v => v.Length > 0).ToList(), root.GetReferenceDirectives().Any());
    }
}
