using System.Runtime.InteropServices;

namespace RunbookHost.IO;

/// <summary>.NET refuses to open a directory as a file handle, so fsync of a folder goes through libc.</summary>
internal static partial class NativeSync
{
    // O_RDONLY alone opens a folder on Linux; O_DIRECTORY would only add a check, and its value differs between
    // architectures (0x10000 is O_DIRECT on arm64, which a folder may refuse with EINVAL: the fsync would be skipped silently).
    private const int ReadOnly = 0x0;

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int FSync(int fd);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);

    public static void SyncDirectory(string path)
    {
        var fd = Open(path, ReadOnly);
        if (fd < 0)
            return; // best effort: the file itself was already fsynced
        try { _ = FSync(fd); }
        finally { _ = Close(fd); }
    }
}
