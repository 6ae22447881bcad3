namespace RunbookHost.Evidence;

/// <summary>
/// Checks chains against heads: the local signed heads (`_heads/&lt;chain&gt;.json`, which must match each chain's end
/// exactly) and the heads an auditor holds from `evidence heads` (each must still be in its chain: the file with that
/// hash at that position, and the chain no shorter).
/// </summary>
internal static class EvidenceHeadsCheck
{
    public static void CheckLocal(EvidenceTree tree, IReadOnlyDictionary<string, CheckedChain> chains, EvidenceTrust trust, EvidenceReport report)
    {
        foreach (var (chain, path) in tree.Heads)
        {
            if (ReadSigned(path, trust, report) is not { } bytes)
                continue;
            if (ChainHead.Parse(bytes.Payload, out var problem) is not { } head)
                report.Problem(EvidenceProblemKinds.BadHead, path, problem);
            else if (head.Chain != chain)
                report.Problem(EvidenceProblemKinds.BadHead, path, $"it is the head of {head.Chain}, not of {chain}");
            else
                Compare(head, chains.GetValueOrDefault(chain), $"its head {EvidenceFormat.HeadsFolder}/{chain}.json", report, exactEnd: true);
        }
        foreach (var (chain, files) in chains.Where(c => !tree.Heads.ContainsKey(c.Key)))
        {
            var folder = Path.Combine(tree.Root, chain);
            if (files.Ordered.Any(f => f.Statement?.Sequence is not null))
                report.Problem(EvidenceProblemKinds.MissingHead, folder,
                    $"chain {chain} holds v2 files but {EvidenceFormat.HeadsFolder}/{chain}.json is missing (deleted?)");
            else if (files.Ordered.Count > 0)
                report.Skipped.Add((folder, "a v1 chain without a head (written before heads existed): check it against published heads or the registry"));
        }
    }

    /// <summary>The heads an auditor was given (`evidence heads --out`), signed by a trusted key.</summary>
    public static void CheckPublished(string file, IReadOnlyDictionary<string, CheckedChain> chains, EvidenceTrust trust, EvidenceReport report)
    {
        if (ReadSigned(file, trust, report, published: true) is not { } envelope)
            return;
        if (ChainHead.ParsePublished(envelope.Payload, out _, out var problem) is not { } heads)
        {
            report.Problem(EvidenceProblemKinds.BadHead, file, $"not a published heads document: {problem}");
            return;
        }
        foreach (var head in heads)
            Compare(head, chains.GetValueOrDefault(head.Chain), "the published head", report, exactEnd: false);
    }

    private static void Compare(ChainHead head, CheckedChain? chain, string origin, EvidenceReport report, bool exactEnd)
    {
        var named = $"{origin} names {head.RelativeFile} (sha256 {head.Sha256[..16]}…) at sequence {head.Sequence}";
        if (chain is null)
        {
            report.Problem(EvidenceProblemKinds.MissingFolder, head.Chain, $"{named}, but the folder {head.Chain} is missing (deleted or renamed?)");
            return;
        }
        var at = chain.At(head.Sequence);
        if (chain.Length < head.Sequence)
            report.Problem(EvidenceProblemKinds.TruncatedChain, head.Chain,
                $"{named}, but the chain ends at sequence {chain.Length}" +
                (chain.Ordered.Count > 0 ? $" ({chain.Ordered[^1].Name})" : "") + ": its newest files were removed or hidden");
        else if (at is null || at.Sha256 != head.Sha256 || at.Name != head.File)
            report.Problem(EvidenceProblemKinds.HeadMismatch, head.Chain,
                $"{named}, but the chain has {at?.Name ?? "no readable file"} there: the chain was rewritten");
        else if (exactEnd && chain.Length > head.Sequence)
            report.Problem(EvidenceProblemKinds.HeadMismatch, head.Chain,
                $"{named}, but the chain goes on to sequence {chain.Length}: the head is behind (a write interrupted before its head, or a head restored from a backup)");
    }

    private static DsseEnvelope? ReadSigned(string path, EvidenceTrust trust, EvidenceReport report, bool published = false)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            report.Problem(EvidenceProblemKinds.BadHead, path, $"unreadable: {e.Message}");
            return null;
        }
        var envelope = DsseEnvelope.Parse(bytes, out var problem);
        if (envelope is null)
        {
            report.Problem(EvidenceProblemKinds.BadHead, path, problem);
            return null;
        }
        // Heads carry their own time; a head signed after its key's retirement is refused like a file.
        var signedAt = published
            ? (ChainHead.ParsePublished(envelope.Payload, out var exportedAt, out _) is null ? DateTimeOffset.MinValue : exportedAt)
            : ChainHead.Parse(envelope.Payload, out _)?.UpdatedAt ?? DateTimeOffset.MinValue;
        if (trust.Check(envelope, signedAt, out _) is { } refused)
        {
            report.Problem(EvidenceProblemKinds.BadHead, path, refused);
            return null;
        }
        if (!envelope.IsCanonical(bytes))
        {
            report.Problem(EvidenceProblemKinds.BadHead, path, "not in the writer's canonical form (edited?)");
            return null;
        }
        return envelope;
    }
}
