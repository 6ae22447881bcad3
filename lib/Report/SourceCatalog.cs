using System.Text;
using System.Text.RegularExpressions;
using RunbookHost.Evidence;

namespace RunbookHost.Report;

/// <summary>Where a subject's source stands against the runbooks folder the report was given.</summary>
public enum SourceState
{
    /// <summary>A file in the folder has exactly the SHA-256 that ran: its text is what ran.</summary>
    Available,
    /// <summary>A file of that name exists, with another SHA-256: the source changed since.</summary>
    Differs,
    /// <summary>No file of that name or hash.</summary>
    NotAvailable,
}

public sealed record SourceFile(string Name, string Sha256, string Text, string? Version);

/// <summary>
/// The runbooks folder indexed by SHA-256, so the report can put the exact bytes that ran beside each run. Only regular
/// files are read (no symlinks: the folder is writable by the insider the evidence guards against), only .csx files and
/// runbooks.lock, each at most <see cref="MaxSourceBytes"/>. A text is shown only when its hash is the one the evidence
/// names, so a planted file can never pass for the source that ran.
/// </summary>
public sealed partial class SourceCatalog
{
    public const int MaxSourceBytes = 1024 * 1024;
    public const string LockFileName = "runbooks.lock";

    private readonly Dictionary<string, SourceFile> _byHash = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _hashByName = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _lockedVersionByHash = new(StringComparer.Ordinal);

    public static SourceCatalog Empty { get; } = new();

    public string? Folder { get; private init; }

    public static SourceCatalog Load(string runbooksFolder)
    {
        var catalog = new SourceCatalog { Folder = runbooksFolder };
        if (!Directory.Exists(runbooksFolder))
            return catalog;
        var options = new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.Hidden | FileAttributes.ReparsePoint };
        foreach (var path in Directory.EnumerateFiles(runbooksFolder, "*", options))
        {
            var relative = Path.GetRelativePath(runbooksFolder, path).Replace('\\', '/');
            if (!(relative.EndsWith(".csx", StringComparison.Ordinal) || relative == LockFileName) || relative.Split('/').Any(p => p.StartsWith('.')))
                continue;
            var info = new FileInfo(path);
            if (info.Length > MaxSourceBytes || info.LinkTarget is not null)
                continue;
            byte[] bytes;
            try { bytes = File.ReadAllBytes(path); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { continue; }
            var sha = EvidenceFormat.Sha256Hex(bytes);
            var name = "runbooks/" + relative;
            var text = new UTF8Encoding(false, false).GetString(bytes);
            catalog._byHash.TryAdd(sha, new SourceFile(name, sha, text, HeaderVersion(text)));
            catalog._hashByName[name] = sha;
            if (relative == LockFileName)
                catalog.ReadLock(text);
        }
        return catalog;
    }

    public (SourceState State, SourceFile? File) Resolve(EvidenceSubject subject)
    {
        if (_byHash.TryGetValue(subject.Sha256, out var file))
            return (SourceState.Available, file);
        return _hashByName.ContainsKey(subject.Name) ? (SourceState.Differs, null) : (SourceState.NotAvailable, null);
    }

    /// <summary>The version the lock pinned for this hash, else the `// @version` header of the matching source, else null.</summary>
    public string? VersionOf(string sha256) =>
        _lockedVersionByHash.GetValueOrDefault(sha256) ?? _byHash.GetValueOrDefault(sha256)?.Version;

    /// <summary>runbooks.lock lines: `path name version sha256`.</summary>
    private void ReadLock(string text)
    {
        foreach (var line in text.Split('\n'))
        {
            var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length == 4 && !parts[0].StartsWith('#'))
                _lockedVersionByHash.TryAdd(parts[3].ToLowerInvariant(), parts[2]);
        }
    }

    private static string? HeaderVersion(string text)
    {
        var match = VersionHeader().Match(text);
        return match.Success ? match.Groups[1].Value : null;
    }

    [GeneratedRegex(@"^//\s*@version\s+(\S{1,40})", RegexOptions.Multiline)]
    private static partial Regex VersionHeader();
}
