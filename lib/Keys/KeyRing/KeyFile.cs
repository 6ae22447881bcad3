using System.Text;
using RunbookHost.Evidence;
using RunbookHost.IO;
using RunbookHost.Keys.Age;
using RunbookHost.Keys.Sops;

namespace RunbookHost.Keys.KeyRing;

/// <summary>File-level helpers shared by the key-ring operations.</summary>
internal static class KeyFile
{
    /// <summary>The single X25519 identity of an age identity file.</summary>
    public static AgeX25519Identity ReadIdentity(string path)
    {
        IReadOnlyList<IAgeIdentity> identities;
        try
        {
            identities = AgeKeyFile.ParseIdentities(File.ReadAllText(path));
        }
        catch (AgeException error)
        {
            throw new KeyRingException($"{Path.GetFileName(path)}: {error.Message}");
        }
        if (identities is not [AgeX25519Identity identity])
            throw new KeyRingException($"{Path.GetFileName(path)} must hold exactly one X25519 identity");
        return identity;
    }

    public static string RecipientOf(string path) => ReadIdentity(path).Recipient.ToString();

    /// <summary>True when <paramref name="identity"/> decrypts <paramref name="secretsFile"/> (data key and MAC).</summary>
    public static bool Opens(AgeX25519Identity identity, byte[] secretsFile)
    {
        try
        {
            _ = Sops.Sops.DecryptToDictionary(secretsFile, SopsFormat.Yaml, new AgeSopsKeyService(identity));
            return true;
        }
        catch (SopsException)
        {
            return false;
        }
    }

    public static bool Opens(string keyPath, byte[] secretsFile) => File.Exists(keyPath) && Opens(ReadIdentity(keyPath), secretsFile);

    /// <summary>Creates <paramref name="path"/> (0600) atomically; false when it already existed (then untouched).</summary>
    public static bool TryCreatePrivate(string path, string content) => TryCreatePrivate(path, Encoding.UTF8.GetBytes(content));

    public static bool TryCreatePrivate(string path, byte[] content) => CreateOnlyFile.TryCreate(path, content, AtomicFile.PrivateFile);

    /// <summary>
    /// Overwrites a private key file with zeros, fsyncs, then unlinks it (best effort like <c>shred -u</c>:
    /// copy-on-write and journaling file systems or SSDs may keep old blocks).
    /// </summary>
    public static void Shred(string path)
    {
        var length = new FileInfo(path).Length;
        using (var stream = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.None))
        {
            stream.Write(new byte[length]);
            stream.Flush(flushToDisk: true);
        }
        File.Delete(path);
        AtomicFile.SyncFolder(Path.GetDirectoryName(path)!);
    }

    /// <summary>Removes temporary files a killed writer left in the tenant folder (<c>.name.guid.tmp</c>); none is ever the only copy of anything.</summary>
    public static IReadOnlyList<string> RemoveStaleTemporaries(string folder)
    {
        if (!Directory.Exists(folder))
            return [];
        var removed = new List<string>();
        foreach (var file in Directory.EnumerateFiles(folder, ".*.tmp"))
        {
            File.Delete(file);
            removed.Add(Path.GetFileName(file));
        }
        if (removed.Count > 0)
            AtomicFile.SyncFolder(folder);
        return removed;
    }
}
