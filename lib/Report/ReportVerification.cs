using System.Security.Cryptography;
using RunbookHost.Evidence;

namespace RunbookHost.Report;

/// <summary>The verifier's verdict on one file, by its path relative to the evidence root, and the key that verified it.</summary>
public sealed record FileVerdict(string RelativePath, bool Ok, string Reason, string? KeyId = null);

/// <summary>A key that verified evidence: its fingerprint (the evidence key id), where it was pinned, and how many files it verified.</summary>
public sealed record TrustedKeyInfo(string Fingerprint, string Source, int Files);

/// <summary>
/// The same checks as `evidence verify` (lib/Evidence's verifier: signatures by pinned keys, chains, signed heads,
/// the registry's runs when given), over the folders the report covers. Problems that are not one file's (missing,
/// extra, hidden or cut evidence) come apart, each as "kind: subject: reason".
/// </summary>
public sealed record ReportVerification(
    IReadOnlyList<FileVerdict> Files,
    IReadOnlyList<string> Problems,
    IReadOnlyList<TrustedKeyInfo> Keys,
    string RegistryCheck)
{
    public int Failed => Files.Count(f => !f.Ok);
    public bool Ok => Problems.Count == 0 && Failed == 0 && Files.Count > 0;

    public static ReportVerification Run(string evidenceRoot, EvidenceVerifyOptions trust, IReadOnlyList<string>? onlyFolders, string registryMode)
    {
        var root = Path.GetFullPath(evidenceRoot);
        var targets = onlyFolders is null ? [root] : onlyFolders.Select(f => Path.Combine(root, f)).Where(Directory.Exists).ToList();
        var files = new List<FileVerdict>();
        var problems = (onlyFolders ?? [])
            .Where(f => f != EvidenceFormat.FleetScope && !Directory.Exists(Path.Combine(root, f)))
            .Select(f => $"missing-folder: tenant {f}: no evidence folder")
            .ToList();
        foreach (var target in targets)
        {
            var report = EvidenceVerifier.Verify(target, trust);
            files.AddRange(report.Files.Select(r => new FileVerdict(Relative(root, r.Path), r.Ok, r.Reason, r.KeyId)));
            problems.AddRange(report.Problems.Select(p => $"{p.Kind}: {Relative(root, p.Subject)}: {p.Reason}"));
        }
        var sources = Sources(trust.TrustedKeys);
        var keys = files.Where(f => f.Ok && f.KeyId is not null)
            .GroupBy(f => f.KeyId!, StringComparer.Ordinal)
            .Select(g => new TrustedKeyInfo(g.Key, sources.GetValueOrDefault(g.Key) ?? "pinned", g.Count()))
            .OrderBy(k => k.Fingerprint, StringComparer.Ordinal)
            .ToList();
        return new ReportVerification(files.OrderBy(f => f.RelativePath, StringComparer.Ordinal).ToList(),
            problems.Distinct(StringComparer.Ordinal).ToList(), keys, registryMode);
    }

    private static string Relative(string root, string path) =>
        path.StartsWith(root + Path.DirectorySeparatorChar, StringComparison.Ordinal) ? Path.GetRelativePath(root, path).Replace('\\', '/') : path;

    /// <summary>Where each pinned key came from, by key id (a key pinned as PEM has its id computed here).</summary>
    private static Dictionary<string, string> Sources(IEnumerable<PinnedKey> pins)
    {
        var sources = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var pin in pins)
        {
            var id = pin.KeyId;
            if (id is null && pin.PublicKeyPem is not null)
            {
                try
                {
                    using var key = ECDsa.Create();
                    key.ImportFromPem(pin.PublicKeyPem);
                    id = EvidenceSigner.ComputeKeyId(key);
                }
                catch (Exception e) when (e is CryptographicException or ArgumentException) { }
            }
            if (id is not null)
                sources[id] = sources.TryGetValue(id, out var other) ? $"{other}; {pin.Source}" : pin.Source;
        }
        return sources;
    }
}
