using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using RunbookHost.Runbooks;

namespace RunbookHost.Cli.Scripting;

/// <summary>
/// The second lock on the door: the directives as the compiler itself parsed them. The host's scan
/// (<see cref="RunbookDirectives"/>) is meant to see every directive the compiler sees; should the two ever disagree,
/// a <c>#load</c> of a file outside the scanned (hashed, locked) closure, any <c>#r</c>, or a syntax tree for a file
/// the scan did not read refuses the compile.
/// </summary>
internal static class CompiledDirectives
{
    public static void Check(RunbookSource source, IEnumerable<SyntaxTree> trees)
    {
        var problems = new List<string>();
        foreach (var tree in trees)
        {
            var display = RunbookSource.DisplayPathOf(source.Root, tree.FilePath);
            if (source.Find(tree.FilePath) is null)
                problems.Add($"{display}(1,1): the compiler would read this file, which the host did not scan and pin: refused");
            var root = (CompilationUnitSyntax)tree.GetRoot();
            foreach (var reference in root.GetReferenceDirectives())
                problems.Add($"{At(display, reference)}: #r is not allowed: every dependency ships in lib/, built with the host");
            foreach (var load in root.GetLoadDirectives())
            {
                var target = RunbookSource.LexicalTarget(tree.FilePath, load.File.ValueText);
                if (target is null || source.Find(target) is null)
                    problems.Add($"{At(display, load)}: the compiler reads a #load here that the host's scan did not pin " +
                        $"(\"{Printable(load.File.ValueText)}\"): refused");
            }
        }
        if (problems.Count > 0)
            throw new RunbookCompileException(string.Join("\n", problems));
    }

    private static string At(string display, SyntaxNode directive)
    {
        var start = directive.GetLocation().GetLineSpan().StartLinePosition;
        return $"{display}({start.Line + 1},{start.Character + 1})";
    }

    private static string Printable(string text) => new(text.Select(c => c is >= ' ' and <= '~' ? c : '?').ToArray());
}
