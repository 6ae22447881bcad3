using System.Security.Cryptography;
using System.Text;
using RunbookHost.Evidence;
using RunbookHost.IO;

namespace RunbookHost.Runbooks;

/// <summary>
/// A runbook file and every file it <c>#load</c>s (its closure), each read once: the bytes hashed here are the bytes
/// checked against the lock and the bytes the compiler gets. Directives are found without the compiler
/// (<see cref="RunbookDirectives"/>), so the compiled-runbook cache is keyed without loading Roslyn. Enforces the
/// source rules: <c>#load</c> only of files whose real path (every component resolved) is inside the runbooks folder,
/// never <c>#r</c>.
/// </summary>
public sealed class RunbookSource
{
    private readonly Dictionary<string, ClosureFile> byPath;

    private RunbookSource(string root, IReadOnlyList<ClosureFile> closure, string closureSha256, EvidenceSubject? lockFile)
    {
        Root = root;
        Closure = closure;
        ClosureSha256 = closureSha256;
        LockFile = lockFile;
        byPath = closure.ToDictionary(f => f.Path, StringComparer.Ordinal);
    }

    public string Root { get; }
    /// <summary>Full path of the runbook file.</summary>
    public string Path => Closure[0].Path;
    public RunbookMetadata Metadata => Closure[0].Metadata;
    /// <summary>SHA-256 (hex) of the runbook file's bytes: what `list`, the lock file and the evidence subject name.</summary>
    public string SourceSha256 => Closure[0].Sha256;
    /// <summary>The runbook, then every file it loads, transitively, in first-seen order.</summary>
    public IReadOnlyList<ClosureFile> Closure { get; }
    /// <summary>SHA-256 over every file in <see cref="Closure"/> (path relative to the root, then bytes).</summary>
    public string ClosureSha256 { get; }
    /// <summary>The lock file every closure file was checked against (subject name, SHA-256 of the bytes checked); null until <see cref="PinnedBy"/>.</summary>
    public EvidenceSubject? LockFile { get; }
    /// <summary>The in-toto subjects of a run: each closure file in order, then the lock file when pinned.</summary>
    public IReadOnlyList<EvidenceSubject> Subjects => [.. Closure.Select(f => f.Subject), .. LockFile is null ? Array.Empty<EvidenceSubject>() : [LockFile]];

    public string DisplayPath => Closure[0].DisplayPath;

    /// <summary>The closure file the compiler names <paramref name="fullPath"/>, or null when it is not part of the closure.</summary>
    public ClosureFile? Find(string fullPath) => byPath.GetValueOrDefault(fullPath);

    /// <summary>How evidence names a file of the runbooks folder: "runbooks/&lt;path inside it&gt;", whatever the folder is called on this machine.</summary>
    public static string SubjectName(string relativePath) => "runbooks/" + relativePath.Replace('\\', '/');

    public static string DisplayPathOf(string root, string path) =>
        System.IO.Path.Combine(System.IO.Path.GetFileName(root.TrimEnd('/')), System.IO.Path.GetRelativePath(root, path)).Replace('\\', '/');

    public static RunbookSource Load(string root, string path)
    {
        root = System.IO.Path.GetFullPath(root);
        var realRoot = NativeFile.RealPath(root) ?? throw new RunbookDefinitionException($"runbooks folder not found: {root}");
        var closure = new List<ClosureFile>();
        Collect(root, realRoot, System.IO.Path.GetFullPath(path), null, closure);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var file in closure)
        {
            hash.AppendData(Encoding.UTF8.GetBytes(file.RelativePath + "\n"));
            hash.AppendData(Encoding.UTF8.GetBytes(file.Bytes.Length + "\n"));
            hash.AppendData(file.Bytes.Span);
        }
        return new RunbookSource(root, closure, Convert.ToHexStringLower(hash.GetHashAndReset()), null);
    }

    /// <summary>This source, after checking every closure file against <paramref name="runbookLock"/>; throws <see cref="RunbookDefinitionException"/> naming the first mismatch.</summary>
    public RunbookSource PinnedBy(RunbookLock runbookLock)
    {
        foreach (var file in Closure)
        {
            if (runbookLock.Problem(file) is { } problem)
                throw new RunbookDefinitionException(problem);
        }
        return new RunbookSource(Root, Closure, ClosureSha256, runbookLock.File);
    }

    /// <summary>
    /// The full path a <c>#load</c> names, resolved lexically against the loading file's folder; null for an absolute or
    /// malformed target. The scan and the compiler's resolver both use this, so they name the same files.
    /// </summary>
    public static string? LexicalTarget(string fromFile, string target)
    {
        if (target.Length == 0 || target.Contains('\0') || System.IO.Path.IsPathRooted(target))
            return null;
        return System.IO.Path.GetFullPath(System.IO.Path.Combine(System.IO.Path.GetDirectoryName(fromFile)!, target));
    }

    private static bool IsInside(string root, string path) =>
        path.StartsWith(root.TrimEnd('/') + "/", StringComparison.Ordinal);

    private static void Collect(string root, string realRoot, string file, string? loadedAt, List<ClosureFile> closure)
    {
        if (closure.Any(f => f.Path == file))
            return;
        var display = DisplayPathOf(root, file);
        var bytes = ReadConfined(root, realRoot, file, display, loadedAt);
        var text = RunbookDirectives.Decode(display, bytes);
        var metadata = RunbookMetadata.Parse(display, RunbookDirectives.Lines(text));
        closure.Add(new ClosureFile(file, System.IO.Path.GetRelativePath(root, file).Replace('\\', '/'), display, bytes, text, metadata));
        foreach (var load in RunbookDirectives.Scan(display, text))
        {
            var where = $"{display}({load.Line},{load.Column})";
            var target = LexicalTarget(file, load.Target);
            if (target is null || !IsInside(root, target) || !target.EndsWith(".csx", StringComparison.Ordinal))
                throw new RunbookCompileException($"{where}: #load must name an existing .csx file inside {System.IO.Path.GetFileName(root)}/");
            Collect(root, realRoot, target, where, closure);
        }
    }

    /// <summary>The file's bytes, once its real path (every component resolved) is known to be a regular file inside the real runbooks folder.</summary>
    private static byte[] ReadConfined(string root, string realRoot, string file, string display, string? loadedAt)
    {
        var folder = System.IO.Path.GetFileName(root);
        var real = NativeFile.RealPath(file);
        if (real is null || FileStatus.Of(real, followLinks: false) is not { Kind: FileKind.Regular })
            throw loadedAt is null
                ? new RunbookDefinitionException($"{display} is not a file")
                : new RunbookCompileException($"{loadedAt}: #load must name an existing .csx file inside {folder}/");
        if (!IsInside(realRoot, real))
        {
            var what = loadedAt is null ? display : $"{loadedAt}: #load of {display}";
            throw new RunbookCompileException(
                $"{what} leads outside {folder}/ through a symbolic link (to {real}): runbooks may only use files inside the runbooks folder");
        }
        return File.ReadAllBytes(real);
    }
}

/// <summary>A compile-time problem, already formatted as <c>runbooks/x.csx(line,col): message</c>.</summary>
public sealed class RunbookCompileException(string message) : Exception(message);
