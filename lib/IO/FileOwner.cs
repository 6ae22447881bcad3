using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace RunbookHost.IO;

/// <summary>Owner (uid, gid) of a file on Linux, which .NET has no API for: statx(2) and fchown(2) through libc.</summary>
internal static partial class FileOwner
{
    private const int AtFdCwd = -100;
    private const uint StatxUid = 0x8, StatxGid = 0x10;

    [LibraryImport("libc", EntryPoint = "statx", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Statx(int dirfd, string path, int flags, uint mask, Span<byte> buffer);

    [LibraryImport("libc", EntryPoint = "fchown", SetLastError = true)]
    private static partial int FChown(SafeFileHandle fd, uint owner, uint group);

    [LibraryImport("libc", EntryPoint = "geteuid")]
    private static partial uint GetEuid();

    public static uint EffectiveUid => GetEuid();

    /// <summary>uid and gid of <paramref name="path"/> (struct statx is the same on every Linux architecture).</summary>
    public static (uint Uid, uint Gid) Get(string path)
    {
        if (!OperatingSystem.IsLinux())
            throw new PlatformNotSupportedException("file owner is read with statx (Linux only)");
        Span<byte> buffer = stackalloc byte[256];
        if (Statx(AtFdCwd, path, 0, StatxUid | StatxGid, buffer) != 0)
            throw new IOException($"statx {path} failed: errno {Marshal.GetLastPInvokeError()}");
        var uid = BitConverter.ToUInt32(buffer[20..24]);
        var gid = BitConverter.ToUInt32(buffer[24..28]);
        return (uid, gid);
    }

    public static void Set(SafeFileHandle handle, uint uid, uint gid)
    {
        if (FChown(handle, uid, gid) != 0)
            throw new IOException($"fchown to {uid}:{gid} failed: errno {Marshal.GetLastPInvokeError()}");
    }
}
