namespace RunbookHost.Evidence;

/// <summary>
/// Where a chain stands for the writer: its newest file (name, SHA-256, start) and how many files it holds. Read under
/// the chain's lock from the folder and the signed head, and refused (<see cref="EvidenceChainException"/>) unless both
/// agree and both were signed by this host: appending to a chain that was cut, rewritten or planted would hide that.
/// </summary>
internal sealed record ChainTip(string? File, string? Sha256, long Sequence, DateTimeOffset? StartedAt)
{
    public static readonly ChainTip Empty = new(null, null, 0, null);

    /// <summary>The chain's tip; with <paramref name="now"/>, any evidence file dated after it is refused (it would block this run's file).</summary>
    public static ChainTip Read(string evidenceRoot, string chain, EvidenceSigner signer, DateTimeOffset? now)
    {
        var folder = Path.Combine(evidenceRoot, chain);
        var names = Directory.Exists(folder) ? EvidenceNames(folder) : [];
        if (now is { } limit && names.FirstOrDefault(n => ParseNameTime(n) > limit) is { } future)
            throw new EvidenceChainException(
                $"evidence file {chain}/{future} is dated after now ({EvidenceFormat.FormatPayloadTimestamp(limit)}); " +
                "a file from the future would stop this run's evidence from joining the chain: remove it or fix the clock");
        var head = ReadHead(evidenceRoot, chain, signer);
        return Reconcile(folder, names, chain, signer, head, now);
    }

    /// <summary>The newest file and its position, from the folder alone (to rebuild a lost head); null for an empty chain.</summary>
    public static ChainTip? ReadIgnoringHead(string evidenceRoot, string chain, EvidenceSigner signer)
    {
        var folder = Path.Combine(evidenceRoot, chain);
        var names = Directory.Exists(folder) ? EvidenceNames(folder) : [];
        var newest = FindNewest(folder, names, chain, signer);
        return newest is null ? null : new ChainTip(newest.Name, newest.Sha256, newest.Statement.Sequence ?? names.Count, newest.Statement.StartedAt);
    }

    private static ChainTip Reconcile(string folder, List<string> names, string chain, EvidenceSigner signer, ChainHead? head, DateTimeOffset? now)
    {
        var newest = FindNewest(folder, names, chain, signer);
        if (now is { } n2 && newest is not null && newest.Statement.StartedAt > n2)
            throw new EvidenceChainException($"evidence file {chain}/{newest.Name} started after now; remove it or fix the clock");

        switch (newest, head)
        {
            case (null, null):
                return Empty;
            case (null, { } h):
                throw new EvidenceChainException(
                    $"evidence chain {chain} has no files, but its signed head names {h.RelativeFile} (sequence {h.Sequence}): " +
                    "the chain's files were removed; restore them from a backup");
            case ({ } f, null) when f.Statement.Sequence is null:
                return new ChainTip(f.Name, f.Sha256, names.Count, f.Statement.StartedAt); // a v1 chain, written before heads existed
            case ({ } f, null):
                throw new EvidenceChainException(
                    $"evidence chain {chain} has no signed head ({EvidenceFormat.HeadsFolder}/{chain}.json) although {f.Name} is a v2 file: " +
                    $"restore the head from a backup, or check the chain and run `runbook-host evidence heads --rebuild {chain}`");
        }
        var (file, headFile) = (newest!, head!);
        if (file.Name == headFile.File && file.Sha256 == headFile.Sha256 && (file.Statement.Sequence ?? headFile.Sequence) == headFile.Sequence)
            return new ChainTip(file.Name, file.Sha256, headFile.Sequence, file.Statement.StartedAt);
        // A write that stopped between its file and its head: the new file links to the head's file, one position on.
        if (file.Statement.Sequence == headFile.Sequence + 1 && file.Statement.Previous == headFile.Sha256
            && System.IO.File.Exists(Path.Combine(folder, headFile.File))
            && EvidenceFormat.Sha256Hex(System.IO.File.ReadAllBytes(Path.Combine(folder, headFile.File))) == headFile.Sha256)
            return new ChainTip(file.Name, file.Sha256, headFile.Sequence + 1, file.Statement.StartedAt);
        throw new EvidenceChainException(
            $"evidence chain {chain} does not match its signed head: the head names {headFile.File} (sequence {headFile.Sequence}), " +
            $"the newest file is {file.Name} (sequence {file.Statement.Sequence?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "unknown"}); " +
            "evidence was removed, renamed or added: run `runbook-host evidence verify` and restore the chain");
    }

    private sealed record NewestFile(string Name, string Sha256, EvidenceStatement Statement);

    private static List<string> EvidenceNames(string folder) =>
        Directory.EnumerateFiles(folder, "*.json")
            .Select(Path.GetFileName)
            .OfType<string>()
            .Where(name => EvidenceFormat.IsEvidenceFileName(name) && ParseNameTime(name) is not null)
            .ToList();

    private static DateTimeOffset? ParseNameTime(string name) =>
        name.Length > EvidenceFormat.FileTimestampLength
        && EvidenceFormat.TryParseFileTimestamp(name.AsSpan(0, EvidenceFormat.FileTimestampLength), out var time) ? time : null;

    /// <summary>
    /// The chain's latest file in the verifier's order (started_at, then name). Names start with the start time truncated
    /// to milliseconds, so only the files sharing the greatest name timestamp can be the latest; just those are read.
    /// </summary>
    private static NewestFile? FindNewest(string folder, List<string> names, string chain, EvidenceSigner signer)
    {
        if (names.Count == 0)
            return null;
        var newestStamp = names.Select(name => name[..EvidenceFormat.FileTimestampLength]).Max(StringComparer.Ordinal)!;
        NewestFile? newest = null;
        foreach (var name in names.Where(n => n.StartsWith(newestStamp, StringComparison.Ordinal)))
        {
            var bytes = System.IO.File.ReadAllBytes(Path.Combine(folder, name));
            var envelope = DsseEnvelope.Parse(bytes, out var problem)
                ?? throw new EvidenceChainException($"the newest evidence file {chain}/{name} is unreadable ({problem}); restore it");
            if (!signer.VerifiesOwn(envelope.KeyId, envelope.Pae(), envelope.Signature))
                throw new EvidenceChainException(
                    $"the newest evidence file {chain}/{name} is not signed by this host's evidence key; it was changed or planted: restore the chain");
            var statement = EvidenceStatement.Parse(envelope.Payload, out problem)
                ?? throw new EvidenceChainException($"the newest evidence file {chain}/{name}: {problem}");
            if (statement.Tenant != chain)
                throw new EvidenceChainException($"the newest evidence file {chain}/{name} belongs to {statement.Tenant}, not {chain}");
            var candidate = new NewestFile(name, EvidenceFormat.Sha256Hex(bytes), statement);
            if (newest is null || EvidenceWriter.SortsAfter(statement.StartedAt, name, newest.Statement.StartedAt, newest.Name))
                newest = candidate;
        }
        return newest;
    }

    private static ChainHead? ReadHead(string evidenceRoot, string chain, EvidenceSigner signer)
    {
        var path = ChainHead.PathFor(evidenceRoot, chain);
        if (!System.IO.File.Exists(path))
            return null;
        var envelope = DsseEnvelope.Parse(System.IO.File.ReadAllBytes(path), out var problem)
            ?? throw new EvidenceChainException($"the chain head {path} is unreadable ({problem}); restore it");
        if (!signer.VerifiesOwn(envelope.KeyId, envelope.Pae(), envelope.Signature))
            throw new EvidenceChainException($"the chain head {path} is not signed by this host's evidence key; it was changed or planted");
        var head = ChainHead.Parse(envelope.Payload, out problem)
            ?? throw new EvidenceChainException($"the chain head {path} is not a chain head: {problem}");
        return head.Chain == chain ? head : throw new EvidenceChainException($"the chain head {path} is the head of {head.Chain}, not {chain}");
    }
}
