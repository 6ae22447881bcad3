using System.Reflection;
using System.Runtime.Loader;
using System.Security.Cryptography;
using System.Text;
using RunbookHost.IO;
using RunbookHost.Runbooks;

namespace RunbookHost.Cli.Scripting;

/// <summary>
/// Compiled runbooks on disk, keyed by the SHA-256 of the runbook and everything it loads plus the
/// host, lib and compiler versions. A hit loads the assembly and never touches Roslyn.
/// </summary>
internal sealed class CompiledRunbookCache(string folder)
{
    public sealed record Entry(Func<object[], Task<object>> Factory, bool Compiled, string Key);

    public Entry GetOrCompile(RunbookSource source)
    {
        var key = Key(source);
        var assemblyName = $"runbook-{source.Metadata.Name}-{key[..16]}";
        var path = Path.Combine(folder, key + ".dll");
        var compiled = false;
        if (!File.Exists(path))
        {
            var bytes = CompileOnMiss(source, assemblyName);
            Directory.CreateDirectory(folder);
            AtomicFile.Write(path, bytes);
            compiled = true;
        }
        return new Entry(LoadFactory(path, assemblyName), compiled, key);
    }

    /// <summary>A separate method so the JIT resolves Roslyn types only when a compile is actually needed.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static byte[] CompileOnMiss(RunbookSource source, string assemblyName) => RunbookCompiler.Compile(source, assemblyName);

    public static string Key(RunbookSource source)
    {
        var host = typeof(CompiledRunbookCache).Assembly;
        var parts = new StringBuilder()
            .Append("closure=").Append(source.ClosureSha256).Append('\n')
            .Append("host=").Append(host.ManifestModule.ModuleVersionId).Append('\n')
            .Append("lib=").Append(typeof(Runbook).Assembly.ManifestModule.ModuleVersionId).Append('\n')
            .Append("runtime=").Append(Environment.Version).Append('\n');
        // The compiler's version is read from the host's references, which does not load it.
        foreach (var reference in host.GetReferencedAssemblies().Where(a => a.Name?.StartsWith("Microsoft.CodeAnalysis", StringComparison.Ordinal) == true))
            parts.Append(reference.FullName).Append('\n');
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(parts.ToString())));
    }

    private static Func<object[], Task<object>> LoadFactory(string path, string assemblyName)
    {
        var assembly = AppDomain.CurrentDomain.GetAssemblies().FirstOrDefault(a => a.GetName().Name == assemblyName)
            ?? AssemblyLoadContext.Default.LoadFromAssemblyPath(Path.GetFullPath(path));
        var submission = assembly.GetType("Submission#0")
            ?? throw new InvalidOperationException($"cached runbook {Path.GetFileName(path)} has no script submission; delete the cache folder");
        var factory = submission.GetMethod("<Factory>", BindingFlags.Static | BindingFlags.Public)
            ?? throw new InvalidOperationException($"cached runbook {Path.GetFileName(path)} has no script factory; delete the cache folder");
        return factory.CreateDelegate<Func<object[], Task<object>>>();
    }
}
