using System.Runtime.InteropServices;

namespace RunbookHost.IO;

/// <summary>.NET refuses to open a directory as a file handle, so fsync of a folder goes through libc.</summary>
internal static partial class NativeSync
{
    private const int ReadOnlyDirectory = 0x10000; // O_RDONLY | O_DIRECTORY on Linux

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int FSync(int fd);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);

    public static void SyncDirectory(string path)
    {
        var fd = Open(path, ReadOnlyDirectory);
        if (fd < 0)
            return; // best effort: the file itself was already fsynced
        try { _ = FSync(fd); }
        finally { _ = Close(fd); }
    }
}
