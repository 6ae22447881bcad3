using RunbookHost.IO;

namespace RunbookHost.Evidence;

/// <summary>The chain heads: replaced after each file, read for `evidence heads`, rebuilt when lost.</summary>
public sealed partial class EvidenceWriter
{
    /// <summary>
    /// The chain's head as it stands, read under its lock: the newest file, after checking it agrees with the signed head
    /// (<see cref="EvidenceChainException"/> otherwise). Null for a chain without files. For `evidence heads`.
    /// </summary>
    public ChainHead? CurrentHead(string chain)
    {
        var name = ChainName(chain);
        var folder = Path.Combine(_evidenceRoot, name);
        using var chainLock = Directory.Exists(folder) ? AcquireLock(folder) : null;
        var tip = ChainTip.Read(_evidenceRoot, name, _signer, now: null);
        return tip.File is null ? null : new ChainHead(name, tip.Sequence, tip.File, tip.Sha256!, _time.GetUtcNow());
    }

    /// <summary>
    /// Writes a new signed head for a chain whose head was lost, after verifying every file of the chain with this host's
    /// own keys (current and retired). Throws <see cref="EvidenceChainException"/> naming the first problem otherwise.
    /// </summary>
    public ChainHead RebuildHead(string chain)
    {
        var name = ChainName(chain);
        var folder = Path.Combine(_evidenceRoot, name);
        if (!Directory.Exists(folder))
            throw new EvidenceChainException($"there is no evidence folder {name} to rebuild a head for");
        using var chainLock = AcquireLock(folder);
        var report = EvidenceVerifier.Verify(folder, new EvidenceVerifyOptions { TrustedKeys = _signer.OwnKeys() });
        if (report.Files.FirstOrDefault(f => !f.Ok) is { } failed)
            throw new EvidenceChainException($"cannot rebuild the head of {name}: {Path.GetFileName(failed.Path)}: {failed.Reason}");
        var tip = ChainTip.ReadIgnoringHead(_evidenceRoot, name, _signer)
            ?? throw new EvidenceChainException($"the evidence folder {name} holds no evidence file");
        var head = new ChainHead(name, tip.Sequence, tip.File!, tip.Sha256!, _time.GetUtcNow());
        WriteHead(head);
        return head;
    }

    /// <summary>Replaces the chain's signed head (`_heads/&lt;chain&gt;.json`) atomically; the caller holds the chain's lock.</summary>
    internal void WriteHead(ChainHead head)
    {
        var path = ChainHead.PathFor(_evidenceRoot, head.Chain);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        RequireRealFolder(Path.GetDirectoryName(path)!);
        AtomicFile.Write(path, head.Sign(_signer));
    }
}
