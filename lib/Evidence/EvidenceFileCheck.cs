namespace RunbookHost.Evidence;

/// <summary>One evidence file as verification sees it: its hash, what its payload says, and its problems so far.</summary>
internal sealed class CheckedFile(string path, byte[]? bytes)
{
    public string Path { get; } = path;
    public string Name => System.IO.Path.GetFileName(Path);
    public string? Sha256 { get; } = bytes is null ? null : EvidenceFormat.Sha256Hex(bytes);
    public List<string> Problems { get; } = [];
    public EvidenceStatement? Statement { get; set; }
    public string? KeyId { get; set; }
    /// <summary>1-based position in its chain (set by <see cref="EvidenceChainCheck"/>).</summary>
    public long Position { get; set; }

    public EvidenceFileResult Result() =>
        new(Path, Problems.Count == 0, Problems.Count == 0 ? "ok" : string.Join("; ", Problems), Problems.Count == 0 ? KeyId : null);
}

/// <summary>
/// Checks one file on its own: envelope form, payload type, signature by a trusted key (low-S, not retired when the run
/// finished), the Statement's shape (v1 or v2), the canonical bytes, and the file name against the signed content.
/// </summary>
internal static class EvidenceFileCheck
{
    public static CheckedFile Check(string path, EvidenceTrust trust)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            var unreadable = new CheckedFile(path, null);
            unreadable.Problems.Add($"malformed: unreadable: {e.Message}");
            return unreadable;
        }
        var result = new CheckedFile(path, bytes);
        var envelope = DsseEnvelope.Parse(bytes, out var problem);
        if (envelope is null)
        {
            result.Problems.Add($"malformed: {problem}");
            return result;
        }
        if (envelope.PayloadType != EvidenceFormat.PayloadType)
            result.Problems.Add($"malformed: payloadType is not {EvidenceFormat.PayloadType}");
        result.Statement = EvidenceStatement.Parse(envelope.Payload, out problem);
        if (result.Statement is null)
            result.Problems.Add($"malformed: {problem}");
        // A file whose content cannot be read has no time; its other problems already fail it.
        if (trust.Check(envelope, result.Statement?.FinishedAt ?? DateTimeOffset.MinValue, out var keyId) is { } refused)
            result.Problems.Add(refused);
        result.KeyId = keyId;
        if (!envelope.IsCanonical(bytes))
            result.Problems.Add("not-canonical: envelope bytes are not in the writer's canonical form (file edited?)");
        if (result.Statement is { } s && !EvidenceFormat.FileNameMatches(result.Name, s.StartedAt, s.Runbook))
            result.Problems.Add($"bad-name: file name does not match the signed run (expected {EvidenceFormat.FileName(s.StartedAt, s.Runbook)}; renamed?)");
        return result;
    }
}
