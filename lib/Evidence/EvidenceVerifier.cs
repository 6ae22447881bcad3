using RunbookHost.Registry;

namespace RunbookHost.Evidence;

/// <summary>What `evidence verify` trusts and cross-checks.</summary>
public sealed record EvidenceVerifyOptions
{
    /// <summary>The pinned keys; none means nothing can verify (the CLI refuses to run without one).</summary>
    public IReadOnlyList<PinnedKey> TrustedKeys { get; init; } = [];
    /// <summary>A heads document from `evidence heads --out`, kept by the auditor; null: only the local heads are checked.</summary>
    public string? PublishedHeads { get; init; }
    /// <summary>Every row of runbook_runs (both scopes); null: the registry is not cross-checked.</summary>
    public IReadOnlyList<RunRow>? RegistryRuns { get; init; }
    /// <summary>Now, for judging runs still marked running.</summary>
    public DateTimeOffset Now { get; init; }
    /// <summary>How long a run may stay "running" without evidence before it counts as a run without evidence.</summary>
    public TimeSpan RunningGrace { get; init; } = TimeSpan.FromHours(1);

    public static EvidenceVerifyOptions WithKeyFile(string publicKeyPath) =>
        new() { TrustedKeys = [new PinnedKey($"--key {publicKeyPath}", PublicKeyPem: File.ReadAllText(publicKeyPath))] };
}

/// <summary>
/// Verifies evidence: each file (envelope, signature by a pinned key, Statement, name), each chain (links, sequence),
/// the chains against the local signed heads, the published heads and the registry, and every entry of the tree that is
/// not evidence. docs/evidence.md lists every check and every problem name.
/// </summary>
public static class EvidenceVerifier
{
    /// <summary>
    /// Verifies one file, one chain folder (a tenant folder or `_fleet`), or the evidence root. A single file is checked on
    /// its own and, when it has sibling evidence files, for its place in their chain; heads and registry are checked for
    /// folders only. Throws <see cref="System.Security.Cryptography.CryptographicException"/> when a pinned key is unusable.
    /// </summary>
    public static EvidenceReport Verify(string fileOrFolder, EvidenceVerifyOptions options)
    {
        ArgumentException.ThrowIfNullOrEmpty(fileOrFolder);
        ArgumentNullException.ThrowIfNull(options);
        var report = new EvidenceReport();
        var full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(fileOrFolder));
        var isFile = File.Exists(full);
        if (!isFile && !Directory.Exists(full))
        {
            report.Problem(EvidenceProblemKinds.NoEvidence, full, "no such file or folder");
            return report;
        }
        var isChain = !isFile && IsChainFolder(full);
        var root = isFile ? Path.GetDirectoryName(Path.GetDirectoryName(full)!) ?? "/" : isChain ? Path.GetDirectoryName(full)! : full;
        using var trust = EvidenceTrust.Resolve(root, options.TrustedKeys);
        report.Mode.Add("trusted keys: " + (trust.IsEmpty ? "none" : string.Join("; ", trust.Describe())));
        report.Mode.AddRange(trust.Notes.Select(n => "note: " + n));

        if (isFile)
        {
            VerifyOneFile(full, trust, report);
            report.Mode.Add("one file: signature, form and place among its sibling files; heads and registry are checked for folders");
            return report;
        }
        var tree = isChain ? EvidenceTree.ScanChainOnly(root, full, report) : EvidenceTree.ScanRoot(full, report);
        var filesByChain = tree.Chains.ToDictionary(c => c.Key,
            c => (IReadOnlyList<CheckedFile>)c.Value.Select(f => EvidenceFileCheck.Check(f, trust)).ToList(), StringComparer.Ordinal);
        var chains = filesByChain.ToDictionary(c => c.Key, c => EvidenceChainCheck.Check(c.Key, c.Value), StringComparer.Ordinal);

        EvidenceHeadsCheck.CheckLocal(tree, chains, trust, report);
        if (options.PublishedHeads is { } published)
        {
            EvidenceHeadsCheck.CheckPublished(published, chains, trust, report);
            report.Mode.Add($"heads: local heads and the published heads in {published}");
        }
        else
            report.Mode.Add("heads: local heads only (pass --heads FILE with the heads you hold to detect a cut chain offline)");
        if (options.RegistryRuns is { } runs)
            EvidenceRegistryCheck.Check(root, filesByChain, runs, isChain ? Path.GetFileName(full) : null, options.Now, options.RunningGrace, report);

        report.Files.AddRange(filesByChain.Values.SelectMany(f => f).Select(f => f.Result()).OrderBy(r => r.Path, StringComparer.Ordinal));
        if (report.Files.Count == 0 && report.Problems.Count == 0)
            report.Problem(EvidenceProblemKinds.NoEvidence, full, "no evidence files found");
        return report;
    }

    /// <summary>A chain folder holds files only; the evidence root holds folders (chains, _heads, _keys) and the public key.</summary>
    private static bool IsChainFolder(string folder) =>
        EvidenceFormat.IsChainName(Path.GetFileName(folder))
        && !Directory.EnumerateDirectories(folder).Any()
        && !File.Exists(Path.Combine(folder, EvidenceFormat.PublicKeyFileName));

    private static void VerifyOneFile(string path, EvidenceTrust trust, EvidenceReport report)
    {
        var folder = Path.GetDirectoryName(path)!;
        var siblings = Directory.EnumerateFiles(folder, "*.json")
            .Where(f => EvidenceFormat.IsEvidenceFileName(Path.GetFileName(f)))
            .Select(Path.GetFullPath)
            .ToList();
        if (siblings.Count > 1 && siblings.Contains(path))
        {
            var files = siblings.Select(f => EvidenceFileCheck.Check(f, trust)).ToList();
            EvidenceChainCheck.Check(Path.GetFileName(folder), files);
            report.Files.Add(files.Single(f => f.Path == path).Result());
        }
        else
            report.Files.Add(EvidenceFileCheck.Check(path, trust).Result());
    }
}
