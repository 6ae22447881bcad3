using System.Collections.Immutable;
using System.Reflection;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Scripting;
using Microsoft.CodeAnalysis.Emit;
using Microsoft.CodeAnalysis.Scripting;
using Microsoft.CodeAnalysis.Text;
using RunbookHost.Runbooks;

namespace RunbookHost.Cli.Scripting;

/// <summary>
/// The only entry into Roslyn: it is reached on a cache miss alone, so a warm run never loads the compiler.
/// Compiles exactly the closure <see cref="RunbookSource"/> read and hashed (never a second read from disk), after
/// checking that every directive in Roslyn's own syntax trees names a file of that closure
/// (<see cref="CompiledDirectives"/>). Emits deterministically (same sources, same assembly bytes) with an embedded
/// PDB, so stack traces point at runbook lines.
/// </summary>
internal static class RunbookCompiler
{
    public static byte[] Compile(RunbookSource source, string assemblyName)
    {
        var options = ScriptOptions.Default
            .WithFilePath(source.Path)
            .WithFileEncoding(System.Text.Encoding.UTF8)
            .WithSourceResolver(new ClosureSourceResolver(source))
            .WithMetadataResolver(new RefusingMetadataResolver())
            .WithReferences(ReferencedAssemblies())
            .WithImports("System", "System.Linq", "System.Threading.Tasks", "System.Collections.Generic",
                "RunbookHost", "RunbookHost.Runbooks", "RunbookHost.Runbooks.Steps", "RunbookHost.Tenants")
            .WithOptimizationLevel(OptimizationLevel.Release)
            .WithEmitDebugInformation(true)
            .WithAllowUnsafe(false);
        var globals = source.Metadata.IsFleet ? typeof(FleetRunbook) : typeof(TenantRunbook);
        var script = CSharpScript.Create<object>(source.Closure[0].Text, options, globals);
        var compilation = script.GetCompilation()
            .WithAssemblyName(assemblyName)
            .WithOptions(script.GetCompilation().Options.WithDeterministic(true));
        CompiledDirectives.Check(source, compilation.SyntaxTrees);
        ThrowOnErrors(source, compilation.GetDiagnostics());
        using var pe = new MemoryStream();
        var result = compilation.Emit(pe, options: new EmitOptions(debugInformationFormat: DebugInformationFormat.Embedded));
        ThrowOnErrors(source, result.Diagnostics);
        return pe.ToArray();
    }

    private static IEnumerable<MetadataReference> ReferencedAssemblies()
    {
        // Only what ships with the host: the runtime, lib/ and its dependencies.
        var assemblies = new[] { typeof(object), typeof(Enumerable), typeof(Runbook), typeof(Serilog.ILogger), typeof(System.Text.Json.JsonSerializer) }
            .Select(t => t.Assembly)
            .Concat(typeof(Runbook).Assembly.GetReferencedAssemblies().Select(SafeLoad).OfType<Assembly>());
        var trusted = ((string?)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES") ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Where(p => Path.GetFileName(p).StartsWith("System.", StringComparison.Ordinal) || Path.GetFileName(p) is "netstandard.dll" or "mscorlib.dll");
        return assemblies.Select(a => a.Location).Concat(trusted)
            .Where(p => p.Length > 0).Distinct(StringComparer.Ordinal)
            .Select(p => MetadataReference.CreateFromFile(p));
    }

    private static Assembly? SafeLoad(AssemblyName name)
    {
        try { return Assembly.Load(name); } catch (FileNotFoundException) { return null; }
    }

    private static void ThrowOnErrors(RunbookSource source, ImmutableArray<Diagnostic> diagnostics)
    {
        var errors = diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        if (errors.Count == 0)
            return;
        throw new RunbookCompileException(string.Join("\n", errors.Select(d => Format(source, d))));
    }

    private static string Format(RunbookSource source, Diagnostic diagnostic)
    {
        var span = diagnostic.Location.GetMappedLineSpan();
        var path = span.Path is { Length: > 0 } file ? RunbookSource.DisplayPathOf(source.Root, Path.GetFullPath(file)) : source.DisplayPath;
        var position = span.StartLinePosition;
        return $"{path}({position.Line + 1},{position.Character + 1}): {diagnostic.Id}: {diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture)}";
    }

    /// <summary>
    /// Serves <c>#load</c> from the closure in memory: the text that was hashed and checked against the lock. A target
    /// outside the closure resolves to nothing (and <see cref="CompiledDirectives"/> has refused it already).
    /// </summary>
    private sealed class ClosureSourceResolver(RunbookSource closure) : SourceReferenceResolver
    {
        private readonly RunbookSource closure = closure;

        public override string? NormalizePath(string path, string? baseFilePath) => path;

        public override string? ResolveReference(string path, string? baseFilePath) =>
            baseFilePath is not null && RunbookSource.LexicalTarget(baseFilePath, path) is { } target && closure.Find(target) is not null ? target : null;

        public override Stream OpenRead(string resolvedPath) => new MemoryStream(File(resolvedPath).Bytes.ToArray(), writable: false);

        public override SourceText ReadText(string resolvedPath) =>
            SourceText.From(File(resolvedPath).Text, System.Text.Encoding.UTF8, SourceHashAlgorithm.Sha256);

        private ClosureFile File(string resolvedPath) =>
            closure.Find(resolvedPath) ?? throw new InvalidOperationException($"{resolvedPath} is not part of the runbook's closure");

        public override bool Equals(object? other) => other is ClosureSourceResolver r && ReferenceEquals(r.closure, closure);

        public override int GetHashCode() => closure.GetHashCode();
    }

    /// <summary>Refuses <c>#r</c> (the source scan already rejects it; this is the second lock on the door).</summary>
    private sealed class RefusingMetadataResolver : MetadataReferenceResolver
    {
        public override bool Equals(object? other) => other is RefusingMetadataResolver;

        public override int GetHashCode() => 0;

        public override ImmutableArray<PortableExecutableReference> ResolveReference(string reference, string? baseFilePath, MetadataReferenceProperties properties) => [];
    }
}
