using System.Text.RegularExpressions;

namespace RunbookHost.Evidence;

/// <summary>
/// The evidence tree as verification walks it. Every entry is either evidence, one of the writer's own files (reported
/// as skipped, with why), or unexpected (an <see cref="EvidenceProblemKinds.UnexpectedEntry"/> problem): nothing is
/// passed over in silence, because a renamed file (`*.json.bak`) or folder (`.acme`) is how evidence gets hidden.
/// Symbolic links are never followed.
/// </summary>
internal sealed partial class EvidenceTree
{
    private EvidenceTree(string root) => Root = root;

    public string Root { get; }

    /// <summary>Each chain folder found, with its evidence files (full paths).</summary>
    public SortedDictionary<string, List<string>> Chains { get; } = new(StringComparer.Ordinal);

    /// <summary>Each chain head file found in `_heads/` (chain name → path).</summary>
    public SortedDictionary<string, string> Heads { get; } = new(StringComparer.Ordinal);

    /// <summary>The repository's evidence/README.md, which says what the folder is for; listed as skipped, never read as evidence.</summary>
    public const string ReadmeFileName = "README.md";

    /// <summary>The whole tree under <paramref name="root"/>.</summary>
    public static EvidenceTree ScanRoot(string root, EvidenceReport report)
    {
        var tree = new EvidenceTree(root);
        foreach (var entry in new DirectoryInfo(root).EnumerateFileSystemInfos().OrderBy(e => e.Name, StringComparer.Ordinal))
        {
            var name = entry.Name;
            if (IsLink(entry, report))
                continue;
            if (entry is FileInfo)
            {
                if (name == EvidenceFormat.PublicKeyFileName)
                    report.Skipped.Add((entry.FullName, "the current public key (trusted only when pinned)"));
                else if (name == ReadmeFileName)
                    report.Skipped.Add((entry.FullName, "the folder's README (documentation, not evidence)"));
                else
                    Unexpected(report, entry, "a file in the evidence root; evidence lives in chain folders");
            }
            else if (name == EvidenceFormat.HeadsFolder)
                tree.ScanHeads(entry.FullName, report, only: null);
            else if (name == EvidenceFormat.KeysFolder)
                ScanKeys(entry.FullName, report);
            else if (EvidenceFormat.IsChainName(name))
                tree.ScanChain(entry.FullName, report);
            else
                Unexpected(report, entry, name.StartsWith('.')
                    ? "a hidden folder (a chain folder renamed to a dot-name would hide its evidence)"
                    : "a folder that is neither a tenant id, _fleet, _heads nor _keys");
        }
        return tree;
    }

    /// <summary>One chain folder, and its head from `&lt;root&gt;/_heads/`.</summary>
    public static EvidenceTree ScanChainOnly(string root, string chainFolder, EvidenceReport report)
    {
        var tree = new EvidenceTree(root);
        tree.ScanChain(chainFolder, report);
        var heads = Path.Combine(root, EvidenceFormat.HeadsFolder);
        if (Directory.Exists(heads))
            tree.ScanHeads(heads, report, only: Path.GetFileName(chainFolder));
        return tree;
    }

    private void ScanChain(string folder, EvidenceReport report)
    {
        var files = new List<string>();
        Chains[Path.GetFileName(folder)] = files;
        foreach (var entry in new DirectoryInfo(folder).EnumerateFileSystemInfos().OrderBy(e => e.Name, StringComparer.Ordinal))
        {
            if (IsLink(entry, report))
                continue;
            if (entry is DirectoryInfo)
                Unexpected(report, entry, "a folder inside a chain folder");
            else if (EvidenceFormat.IsEvidenceFileName(entry.Name))
                files.Add(entry.FullName);
            else if (entry.Name == EvidenceFormat.LockFileName)
                report.Skipped.Add((entry.FullName, "the writer's lock file"));
            else if (EvidenceFormat.IsWriterTempFile(entry.Name))
                report.Skipped.Add((entry.FullName, "a temporary file of an interrupted write"));
            else
                Unexpected(report, entry, entry.Name.Contains(".json", StringComparison.Ordinal)
                    ? "not an evidence file name (a renamed evidence file?)"
                    : "not an evidence file");
        }
    }

    private void ScanHeads(string folder, EvidenceReport report, string? only)
    {
        foreach (var entry in new DirectoryInfo(folder).EnumerateFileSystemInfos().OrderBy(e => e.Name, StringComparer.Ordinal))
        {
            var chain = entry.Name.EndsWith(".json", StringComparison.Ordinal) ? entry.Name[..^".json".Length] : "";
            if (only is not null && chain != only)
                continue;
            if (IsLink(entry, report))
                continue;
            if (entry is FileInfo && EvidenceFormat.IsChainName(chain))
                Heads[chain] = entry.FullName;
            else if (entry is FileInfo && EvidenceFormat.IsWriterTempFile(entry.Name))
                report.Skipped.Add((entry.FullName, "a temporary file of an interrupted head update"));
            else
                Unexpected(report, entry, "not a chain head (_heads holds <tenant>.json and _fleet.json)");
        }
    }

    private static void ScanKeys(string folder, EvidenceReport report)
    {
        foreach (var entry in new DirectoryInfo(folder).EnumerateFileSystemInfos().OrderBy(e => e.Name, StringComparer.Ordinal))
        {
            if (IsLink(entry, report))
                continue;
            if (entry is FileInfo && PublicKeyName().IsMatch(entry.Name))
                report.Skipped.Add((entry.FullName, "a signing public key (trusted only when pinned or endorsed)"));
            else if (entry is FileInfo && RotationName().IsMatch(entry.Name))
                report.Skipped.Add((entry.FullName, "a key rotation statement (followed from a trusted key)"));
            else if (entry is FileInfo && EvidenceFormat.IsWriterTempFile(entry.Name))
                report.Skipped.Add((entry.FullName, "a temporary file of an interrupted write"));
            else
                Unexpected(report, entry, "not a public key or rotation statement");
        }
    }

    private static bool IsLink(FileSystemInfo entry, EvidenceReport report)
    {
        if (entry.LinkTarget is null)
            return false;
        Unexpected(report, entry, "a symbolic link (the writer never creates one; not followed)");
        return true;
    }

    private static void Unexpected(EvidenceReport report, FileSystemInfo entry, string why) =>
        report.Problem(EvidenceProblemKinds.UnexpectedEntry, entry.FullName + (entry is DirectoryInfo ? "/" : ""), why);

    [GeneratedRegex("\\A[0-9a-f]{64}\\.pub\\.pem\\z")]
    private static partial Regex PublicKeyName();

    [GeneratedRegex("\\A[0-9a-f]{64}\\.rotation\\.json\\z")]
    private static partial Regex RotationName();
}
