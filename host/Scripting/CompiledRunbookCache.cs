using System.Reflection;
using System.Runtime.Loader;
using System.Security.Cryptography;
using System.Text;
using RunbookHost.IO;
using RunbookHost.Runbooks;
using Serilog;

namespace RunbookHost.Cli.Scripting;

/// <summary>
/// Compiled runbooks on disk, keyed by the SHA-256 of the runbook and everything it loads plus the host, lib and
/// compiler versions, and authenticated by this host (<see cref="CompileCacheSeal"/>). A hit reads the entry once,
/// verifies it and loads the assembly from those verified bytes, never from a path that could change after the check;
/// it never touches Roslyn. An entry that does not verify is never executed: it is recompiled and replaced, and the
/// log names it.
/// </summary>
internal sealed class CompiledRunbookCache(string folder, string secretsFolder, Func<ILogger> log)
{
    public const string EntryExtension = ".rbc";
    private const int MaxEntryBytes = 64 << 20;
    /// <summary>Assemblies this process loaded, by cache key: an assembly is loaded once per process.</summary>
    private static readonly Dictionary<string, Func<object[], Task<object>>> Loaded = new(StringComparer.Ordinal);

    public sealed record Entry(Func<object[], Task<object>> Factory, bool Compiled, string Key);

    public Entry GetOrCompile(RunbookSource source)
    {
        var key = Key(source);
        lock (Loaded)
        {
            if (Loaded.TryGetValue(key, out var loaded))
                return new Entry(loaded, false, key);
        }
        if (!Directory.Exists(folder))
            AtomicFile.CreatePrivateFolder(folder);
        StrictModes.Check(folder, "compile cache folder");
        var seal = CompileCacheSeal.Load(secretsFolder);
        var path = Path.GetFullPath(Path.Combine(folder, key + EntryExtension));
        var assemblyName = $"runbook-{source.Metadata.Name}-{key[..16]}";
        var assembly = ReadAuthentic(seal, key, path);
        var compiled = assembly is null;
        if (assembly is null)
        {
            assembly = CompileOnMiss(source, assemblyName);
            AtomicFile.Write(path, seal.Seal(key, assembly), AtomicFile.PrivateFile);
        }
        lock (Loaded)
        {
            if (!Loaded.TryGetValue(key, out var factory))
                Loaded[key] = factory = LoadFactory(assembly, path);
            return new Entry(factory, compiled, key);
        }
    }

    /// <summary>The verified assembly of the entry at <paramref name="path"/>; null (and a warning naming it) when there is none that verifies.</summary>
    private byte[]? ReadAuthentic(CompileCacheSeal seal, string key, string path)
    {
        byte[]? entry;
        try
        {
            entry = NativeFile.ReadIfExists(path, "compile cache entry", MaxEntryBytes);
        }
        catch (UntrustedFileException refused)
        {
            log().Warning("compile cache entry {Entry} refused ({Reason}); recompiling it", path, refused.Message);
            return null;
        }
        if (entry is null)
            return null;
        var assembly = seal.Open(key, entry);
        if (assembly is null)
            log().Warning("compile cache entry {Entry} is not authentic (changed, copied from another entry or host, or not written by this host); it is not run, and is recompiled and replaced", path);
        return assembly;
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

    private static Func<object[], Task<object>> LoadFactory(byte[] verified, string path)
    {
        var assembly = AssemblyLoadContext.Default.LoadFromStream(new MemoryStream(verified, writable: false));
        var submission = assembly.GetType("Submission#0")
            ?? throw new InvalidOperationException($"cached runbook {Path.GetFileName(path)} has no script submission; delete the cache folder");
        var factory = submission.GetMethod("<Factory>", BindingFlags.Static | BindingFlags.Public)
            ?? throw new InvalidOperationException($"cached runbook {Path.GetFileName(path)} has no script factory; delete the cache folder");
        return factory.CreateDelegate<Func<object[], Task<object>>>();
    }
}
