using System.Collections.Concurrent;
using System.Text.Json;
using RunbookHost.Evidence;
using RunbookHost.Tenants;

namespace RunbookHost.Report;

/// <summary>
/// Every evidence file under the root, read in parallel: the same folders and names the verifier looks at
/// (non-hidden subfolders, non-hidden *.json files). Runs come back per folder in chain order (started_at, then name).
/// </summary>
public sealed class EvidenceScan
{
    private EvidenceScan(IReadOnlyDictionary<string, IReadOnlyList<ReportRun>> runs, IReadOnlyList<UnreadableEvidence> unreadable)
    {
        RunsByFolder = runs;
        Unreadable = unreadable;
    }

    /// <summary>Tenant folders and "_fleet", each in chain order.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<ReportRun>> RunsByFolder { get; }
    public IReadOnlyList<UnreadableEvidence> Unreadable { get; }

    /// <summary>Reads the folders named in <paramref name="onlyFolders"/> (all when null).</summary>
    public static EvidenceScan Read(string evidenceRoot, IReadOnlySet<string>? onlyFolders)
    {
        var files = Folders(evidenceRoot)
            .Where(folder => onlyFolders is null || onlyFolders.Contains(folder))
            .SelectMany(folder => new DirectoryInfo(Path.Combine(evidenceRoot, folder)).EnumerateFiles("*.json")
                .Where(f => !f.Name.StartsWith('.') && f.LinkTarget is null)
                .Select(f => (Folder: folder, Path: f.FullName)))
            .ToList();
        var runs = new ConcurrentBag<ReportRun>();
        var unreadable = new ConcurrentBag<UnreadableEvidence>();
        Parallel.ForEach(files, file =>
        {
            var relative = $"{file.Folder}/{Path.GetFileName(file.Path)}";
            try
            {
                var info = new FileInfo(file.Path);
                if (info.Length > EvidenceFileReader.MaxFileBytes)
                    unreadable.Add(new UnreadableEvidence(file.Folder, relative, $"larger than {EvidenceFileReader.MaxFileBytes} bytes"));
                else
                    runs.Add(EvidenceFileReader.Read(file.Folder, relative, File.ReadAllBytes(file.Path)));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                unreadable.Add(new UnreadableEvidence(file.Folder, relative, $"unreadable: {e.Message}"));
            }
            catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException or KeyNotFoundException)
            {
                unreadable.Add(new UnreadableEvidence(file.Folder, relative, $"not a readable evidence file: {e.Message}"));
            }
        });
        var byFolder = runs
            .GroupBy(r => r.Folder, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => (IReadOnlyList<ReportRun>)g
                .OrderBy(r => r.StartedAt).ThenBy(r => r.FileName, StringComparer.Ordinal).ToList(), StringComparer.Ordinal);
        return new EvidenceScan(byFolder, unreadable.OrderBy(u => u.RelativePath, StringComparer.Ordinal).ToList());
    }

    /// <summary>
    /// Chain folders in ordinal order: valid tenant ids and the fleet folder. Anything else in the root (a hidden or
    /// misnamed folder, the writer's own folders) is the verifier's to report; symbolic links are never followed.
    /// </summary>
    public static IEnumerable<string> Folders(string evidenceRoot) =>
        new DirectoryInfo(evidenceRoot).EnumerateDirectories()
            .Where(d => d.LinkTarget is null && (d.Name == EvidenceFormat.FleetScope || TenantId.TryParse(d.Name, out _, out _)))
            .Select(d => d.Name)
            .Order(StringComparer.Ordinal);

    public IReadOnlyList<ReportRun> Fleet => RunsByFolder.GetValueOrDefault(EvidenceFormat.FleetScope) ?? [];

    public IEnumerable<string> Tenants => RunsByFolder.Keys.Where(k => k != EvidenceFormat.FleetScope).Order(StringComparer.Ordinal);
}
