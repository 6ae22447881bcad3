using System.Text.Json;

namespace RunbookHost.Evidence;

/// <summary>
/// The newest file of one evidence chain (a tenant folder, or `_fleet`): its name, SHA-256 and 1-based position. The
/// writer keeps one signed head per chain in `_heads/&lt;chain&gt;.json`, replaced atomically under the chain's lock after
/// each file; `evidence heads` exports all of them as one signed document for the operator to publish. An auditor holding
/// a published head can tell a chain that was cut (fewer files) or rewritten (another file at that position).
/// </summary>
public sealed record ChainHead(string Chain, long Sequence, string File, string Sha256, DateTimeOffset UpdatedAt)
{
    public static string PathFor(string evidenceRoot, string chain) =>
        System.IO.Path.Combine(evidenceRoot, EvidenceFormat.HeadsFolder, chain + ".json");

    /// <summary>"acme/20261127T211500.123Z-provision.json": the head file relative to the evidence root.</summary>
    public string RelativeFile => $"{Chain}/{File}";

    /// <summary>The head as a signed in-toto Statement (subject: the head file; predicate: chain, sequence, time).</summary>
    public byte[] Sign(EvidenceSigner signer) =>
        signer.SignEnvelope(EvidenceFormat.PayloadType, InTotoStatement.Write(
            [new EvidenceSubject(RelativeFile, Sha256)], EvidenceFormat.HeadPredicateType, w => WriteFields(w, withFile: false)));

    /// <summary>A head from a (verified) head file's payload, or null with <paramref name="problem"/>.</summary>
    public static ChainHead? Parse(byte[] payload, out string problem)
    {
        var predicate = InTotoStatement.ReadPredicate(payload, EvidenceFormat.HeadPredicateType, out var subjects, out problem);
        if (predicate is not { } p)
            return null;
        if (subjects.Count != 1)
        {
            problem = "a chain head names exactly one file";
            return null;
        }
        return FromFields(p, subjects[0].Name, subjects[0].Sha256, out problem);
    }

    /// <summary>Every head in one signed statement (subjects: the head files), for an auditor to keep.</summary>
    public static byte[] SignPublished(IReadOnlyList<ChainHead> heads, DateTimeOffset exportedAt, EvidenceSigner signer)
    {
        var ordered = heads.OrderBy(h => h.Chain, StringComparer.Ordinal).ToList();
        return signer.SignEnvelope(EvidenceFormat.PayloadType, InTotoStatement.Write(
            ordered.Select(h => new EvidenceSubject(h.RelativeFile, h.Sha256)), EvidenceFormat.PublishedHeadsPredicateType, w =>
            {
                w.WriteString("exported_at", EvidenceFormat.FormatPayloadTimestamp(exportedAt));
                w.WriteStartArray("heads");
                foreach (var head in ordered)
                {
                    w.WriteStartObject();
                    head.WriteFields(w, withFile: true);
                    w.WriteEndObject();
                }
                w.WriteEndArray();
            }));
    }

    /// <summary>The heads of a (verified) published-heads payload, or null with <paramref name="problem"/>.</summary>
    public static IReadOnlyList<ChainHead>? ParsePublished(byte[] payload, out DateTimeOffset exportedAt, out string problem)
    {
        exportedAt = default;
        var predicate = InTotoStatement.ReadPredicate(payload, EvidenceFormat.PublishedHeadsPredicateType, out _, out problem);
        if (predicate is not { } p)
            return null;
        if (!Json.TryTimestamp(p, "exported_at", out exportedAt) || !p.TryGetProperty("heads", out var heads) || heads.ValueKind != JsonValueKind.Array)
        {
            problem = "exported_at or heads missing";
            return null;
        }
        var list = new List<ChainHead>();
        foreach (var item in heads.EnumerateArray())
        {
            if (!Json.TryString(item, "file", out var file) || !Json.TryString(item, "sha256", out var sha))
            {
                problem = "a head without file or sha256";
                return null;
            }
            if (FromFields(item, file, sha, out problem) is not { } head)
                return null;
            list.Add(head);
        }
        if (list.Select(h => h.Chain).Distinct(StringComparer.Ordinal).Count() != list.Count)
        {
            problem = "a chain is named twice";
            return null;
        }
        return list;
    }

    private void WriteFields(Utf8JsonWriter w, bool withFile)
    {
        w.WriteString("chain", Chain);
        w.WriteNumber("sequence", Sequence);
        if (withFile)
        {
            w.WriteString("file", RelativeFile);
            w.WriteString("sha256", Sha256);
        }
        w.WriteString("updated_at", EvidenceFormat.FormatPayloadTimestamp(UpdatedAt));
    }

    private static ChainHead? FromFields(JsonElement p, string relativeFile, string sha256, out string problem)
    {
        problem = "";
        if (!Json.TryString(p, "chain", out var chain) || !EvidenceFormat.IsChainName(chain))
            problem = "chain missing or not a tenant id or _fleet";
        else if (!Json.TryLong(p, "sequence", out var sequence) || sequence < 1)
            problem = "sequence missing or not a positive integer";
        else if (!Json.TryTimestamp(p, "updated_at", out var updatedAt))
            problem = "updated_at missing or not a UTC timestamp";
        else if (!relativeFile.StartsWith(chain + "/", StringComparison.Ordinal)
                 || !EvidenceFormat.IsEvidenceFileName(relativeFile[(chain.Length + 1)..]) || relativeFile[(chain.Length + 1)..].Contains('/'))
            problem = $"file {relativeFile} is not an evidence file of chain {chain}";
        else if (!EvidenceFormat.IsSha256Hex(sha256))
            problem = "sha256 is not a hex digest";
        else
            return new ChainHead(chain, sequence, relativeFile[(chain.Length + 1)..], sha256, updatedAt);
        return null;
    }
}
