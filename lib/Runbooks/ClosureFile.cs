using RunbookHost.Evidence;

namespace RunbookHost.Runbooks;

/// <summary>
/// One file of a runbook's closure, read from disk exactly once: the bytes that were hashed, checked against the lock,
/// and given to the compiler are the same bytes.
/// </summary>
public sealed class ClosureFile
{
    private readonly byte[] bytes;

    internal ClosureFile(string path, string relativePath, string displayPath, byte[] bytes, string text, RunbookMetadata metadata)
    {
        Path = path;
        RelativePath = relativePath;
        DisplayPath = displayPath;
        this.bytes = bytes;
        Text = text;
        Metadata = metadata;
        Sha256 = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes));
    }

    /// <summary>Full path the compiler names the file by (inside the runbooks folder, as written, not through links).</summary>
    public string Path { get; }
    /// <summary>Path relative to the runbooks folder, as the lock file lists it ("shared/x.csx").</summary>
    public string RelativePath { get; }
    /// <summary>As the evidence and error messages name it ("runbooks/shared/x.csx").</summary>
    public string DisplayPath { get; }
    /// <summary>SHA-256 (lowercase hex) of <see cref="Bytes"/>.</summary>
    public string Sha256 { get; }
    public ReadOnlyMemory<byte> Bytes => bytes;
    /// <summary>The decoded source the compiler gets (strict UTF-8, without a BOM).</summary>
    public string Text { get; }
    public RunbookMetadata Metadata { get; }

    /// <summary>The in-toto subject: "runbooks/&lt;relative path&gt;" whatever the folder is called on this machine, and <see cref="Sha256"/>.</summary>
    public EvidenceSubject Subject => new(RunbookSource.SubjectName(RelativePath), Sha256);
}
