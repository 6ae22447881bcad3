using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace RunbookHost.IO;

/// <summary>Owner (uid, gid) of a file on Linux, which .NET has no API for: read with statx(2) (<see cref="FileStatus"/>), set with fchown(2).</summary>
internal static partial class FileOwner
{
    [LibraryImport("libc", EntryPoint = "fchown", SetLastError = true)]
    private static partial int FChown(SafeFileHandle fd, uint owner, uint group);

    public static uint EffectiveUid => FileStatus.EffectiveUid;

    /// <summary>uid and gid of <paramref name="path"/> (following symbolic links).</summary>
    public static (uint Uid, uint Gid) Get(string path)
    {
        var status = FileStatus.Of(path, followLinks: true) ?? throw new FileNotFoundException($"statx {path} failed: no such file", path);
        return (status.Uid, status.Gid);
    }

    public static void Set(SafeFileHandle handle, uint uid, uint gid)
    {
        if (FChown(handle, uid, gid) != 0)
            throw new IOException($"fchown to {uid}:{gid} failed: errno {Marshal.GetLastPInvokeError()}");
    }
}
