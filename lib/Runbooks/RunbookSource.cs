using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace RunbookHost.Runbooks;

/// <summary>
/// A runbook file and every file it <c>#load</c>s, found by reading directives (no compiler needed),
/// so the compiled-runbook cache can be keyed without loading Roslyn. Enforces the source rules:
/// <c>#load</c> only inside the runbooks folder, never <c>#r</c>.
/// </summary>
public sealed partial class RunbookSource
{
    private RunbookSource(string root, string path, RunbookMetadata metadata, string sourceSha256, IReadOnlyList<string> files, string closureSha256)
    {
        Root = root;
        Path = path;
        Metadata = metadata;
        SourceSha256 = sourceSha256;
        Files = files;
        ClosureSha256 = closureSha256;
    }

    public string Root { get; }
    /// <summary>Full path of the runbook file.</summary>
    public string Path { get; }
    public RunbookMetadata Metadata { get; }
    /// <summary>SHA-256 (hex) of the runbook file's bytes: what `list`, the lock file and the evidence subject name.</summary>
    public string SourceSha256 { get; }
    /// <summary>The runbook and every file it loads, transitively, in first-seen order.</summary>
    public IReadOnlyList<string> Files { get; }
    /// <summary>SHA-256 over every file in <see cref="Files"/> (path relative to the root, then bytes).</summary>
    public string ClosureSha256 { get; }

    public string DisplayPath => DisplayPathOf(Root, Path);

    public static string DisplayPathOf(string root, string path) =>
        System.IO.Path.Combine(System.IO.Path.GetFileName(root.TrimEnd('/')), System.IO.Path.GetRelativePath(root, path)).Replace('\\', '/');

    public static RunbookSource Load(string root, string path)
    {
        root = System.IO.Path.GetFullPath(root);
        path = System.IO.Path.GetFullPath(path);
        var bytes = File.ReadAllBytes(path);
        var metadata = RunbookMetadata.Parse(DisplayPathOf(root, path), ReadLines(bytes));
        var files = new List<string>();
        Collect(root, path, files, []);
        using var closure = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var file in files)
        {
            closure.AppendData(Encoding.UTF8.GetBytes(System.IO.Path.GetRelativePath(root, file) + "\n"));
            var content = File.ReadAllBytes(file);
            closure.AppendData(Encoding.UTF8.GetBytes(content.Length + "\n"));
            closure.AppendData(content);
        }
        return new RunbookSource(root, path, metadata, Convert.ToHexStringLower(SHA256.HashData(bytes)), files, Convert.ToHexStringLower(closure.GetHashAndReset()));
    }

    /// <summary>Resolves a <c>#load</c> target, refusing anything that leaves the runbooks folder (also through symlinks).</summary>
    public static string? ResolveLoad(string root, string fromFile, string target)
    {
        if (target.Length == 0 || target.Contains('\0') || System.IO.Path.IsPathRooted(target))
            return null;
        var candidate = System.IO.Path.GetFullPath(System.IO.Path.Combine(System.IO.Path.GetDirectoryName(fromFile)!, target));
        if (!IsInside(root, candidate) || !File.Exists(candidate))
            return null;
        var real = new FileInfo(candidate).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? candidate;
        return IsInside(root, real) ? candidate : null;
    }

    private static bool IsInside(string root, string path) =>
        path.StartsWith(root.TrimEnd('/') + "/", StringComparison.Ordinal);

    private static void Collect(string root, string file, List<string> files, HashSet<string> visiting)
    {
        if (files.Contains(file) || !visiting.Add(file))
            return;
        files.Add(file);
        var lineNumber = 0;
        foreach (var line in File.ReadLines(file))
        {
            lineNumber++;
            var trimmed = line.TrimStart();
            if (trimmed.StartsWith("#r", StringComparison.Ordinal) && (trimmed.Length == 2 || !char.IsLetter(trimmed[2])))
                throw new RunbookCompileException($"{DisplayPathOf(root, file)}({lineNumber},1): #r is not allowed: every dependency ships in lib/, built with the host");
            var load = LoadDirective().Match(trimmed);
            if (!load.Success)
                continue;
            var target = ResolveLoad(root, file, load.Groups["path"].Value)
                ?? throw new RunbookCompileException($"{DisplayPathOf(root, file)}({lineNumber},1): #load must name an existing .csx file inside {System.IO.Path.GetFileName(root)}/");
            Collect(root, target, files, visiting);
        }
    }

    private static IEnumerable<string> ReadLines(byte[] bytes)
    {
        using var reader = new StringReader(Encoding.UTF8.GetString(bytes));
        while (reader.ReadLine() is { } line)
            yield return line;
    }

    [GeneratedRegex("^#load\\s+\"(?<path>[^\"]*)\"")]
    private static partial Regex LoadDirective();
}

/// <summary>A compile-time problem, already formatted as <c>runbooks/x.csx(line,col): message</c>.</summary>
public sealed class RunbookCompileException(string message) : Exception(message);
