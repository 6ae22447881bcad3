using System.Security.Cryptography;
using RunbookHost.Evidence;

namespace RunbookHost.Report;

/// <summary>The verifier's verdict on one file, by its path relative to the evidence root.</summary>
public sealed record FileVerdict(string RelativePath, bool Ok, string Reason);

/// <summary>A key the report verified with: its fingerprint (the evidence key id) and where it came from.</summary>
public sealed record TrustedKeyInfo(string Fingerprint, string Source, bool Independent);

/// <summary>
/// The same checks as `evidence verify` (lib/Evidence's verifier: signatures, the trusted key, per-tenant chains), run
/// over the folders the report covers. Problems that concern no single file (no key, nothing to verify) come apart.
/// </summary>
public sealed record ReportVerification(
    IReadOnlyList<FileVerdict> Files,
    IReadOnlyList<string> Problems,
    IReadOnlyList<TrustedKeyInfo> Keys,
    string RegistryCheck)
{
    public int Failed => Files.Count(f => !f.Ok);
    public bool Ok => Problems.Count == 0 && Failed == 0 && Files.Count > 0;

    public static ReportVerification Run(string evidenceRoot, string? keyPath, IReadOnlyList<string>? onlyFolders)
    {
        var root = Path.GetFullPath(evidenceRoot);
        var key = keyPath ?? Path.Combine(root, EvidenceFormat.PublicKeyFileName);
        var keys = new List<TrustedKeyInfo>();
        try
        {
            using var loaded = EvidenceSigner.LoadPublicKey(key);
            keys.Add(new TrustedKeyInfo(EvidenceSigner.ComputeKeyId(loaded), keyPath is null ? $"{EvidenceFormat.PublicKeyFileName} in the evidence folder" : key,
                Independent: keyPath is not null));
        }
        catch (Exception e) when (e is CryptographicException or IOException or UnauthorizedAccessException or FormatException) { }

        var targets = onlyFolders is null ? [root] : onlyFolders.Select(f => Path.Combine(root, f)).Where(Directory.Exists).ToList();
        var files = new List<FileVerdict>();
        var problems = (onlyFolders ?? [])
            .Where(f => f != EvidenceFormat.FleetScope && !Directory.Exists(Path.Combine(root, f)))
            .Select(f => $"tenant {f}: no evidence folder")
            .ToList();
        foreach (var target in targets)
        {
            foreach (var result in EvidenceVerifier.Verify(target, keyPath ?? key))
            {
                var relative = Path.GetRelativePath(root, result.Path).Replace('\\', '/');
                if (File.Exists(result.Path))
                    files.Add(new FileVerdict(relative, result.Ok, result.Reason));
                else if (!result.Ok)
                    problems.Add($"{relative}: {result.Reason}");
            }
        }
        var distinctProblems = problems.Distinct(StringComparer.Ordinal).ToList();
        return new ReportVerification(files.OrderBy(f => f.RelativePath, StringComparer.Ordinal).ToList(), distinctProblems, keys,
            "not run: the registry cross-check needs `evidence verify` with a configured registry");
    }
}
