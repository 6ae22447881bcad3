using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace RunbookHost.IO;

public enum FileKind { Regular, Directory, SymbolicLink, Other }

/// <summary>
/// Type, permission bits and owner of a file as one snapshot, which .NET does not give: never for a symbolic link
/// itself, never for an open handle, never the owner. Read with statx(2) (Linux; struct statx is the same on every
/// architecture).
/// </summary>
public readonly partial record struct FileStatus(FileKind Kind, UnixFileMode Mode, uint Uid, uint Gid, long Size)
{
    private const int AtFdCwd = -100, AtSymlinkNoFollow = 0x100, AtEmptyPath = 0x1000;
    private const uint StatxType = 0x1, StatxMode = 0x2, StatxUid = 0x8, StatxGid = 0x10, StatxSize = 0x200;
    private const int ENOENT = 2, ENOTDIR = 20;

    [LibraryImport("libc", EntryPoint = "statx", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Statx(int dirfd, string path, int flags, uint mask, Span<byte> buffer);

    [LibraryImport("libc", EntryPoint = "statx", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Statx(SafeFileHandle dirfd, string path, int flags, uint mask, Span<byte> buffer);

    [LibraryImport("libc", EntryPoint = "geteuid")]
    private static partial uint GetEuid();

    /// <summary>The user this process acts as (what the kernel checks permissions against).</summary>
    public static uint EffectiveUid => GetEuid();

    /// <summary>Group or others may write it.</summary>
    public bool WritableByOthers => (Mode & (UnixFileMode.GroupWrite | UnixFileMode.OtherWrite)) != 0;

    /// <summary>Group or others may read, write or enter it.</summary>
    public bool AccessibleByOthers => (Mode & (UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute
        | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute)) != 0;

    public bool Sticky => (Mode & UnixFileMode.StickyBit) != 0;

    /// <summary>The file at <paramref name="path"/>, or null when nothing is there. <paramref name="followLinks"/> false describes a symbolic link itself.</summary>
    public static FileStatus? Of(string path, bool followLinks)
    {
        EnsureLinux();
        Span<byte> buffer = stackalloc byte[256];
        if (Statx(AtFdCwd, path, followLinks ? 0 : AtSymlinkNoFollow, StatxType | StatxMode | StatxUid | StatxGid | StatxSize, buffer) == 0)
            return Parse(buffer);
        var errno = Marshal.GetLastPInvokeError();
        return errno is ENOENT or ENOTDIR ? null : throw new IOException($"cannot read the status of {path}: errno {errno}");
    }

    /// <summary>The file an open handle refers to (what was really opened, whatever the path points to now).</summary>
    public static FileStatus Of(SafeFileHandle handle)
    {
        EnsureLinux();
        Span<byte> buffer = stackalloc byte[256];
        if (Statx(handle, "", AtEmptyPath, StatxType | StatxMode | StatxUid | StatxGid | StatxSize, buffer) != 0)
            throw new IOException($"cannot read the status of an open file: errno {Marshal.GetLastPInvokeError()}");
        return Parse(buffer);
    }

    private static FileStatus Parse(ReadOnlySpan<byte> statx)
    {
        // struct statx: stx_uid at 20, stx_gid at 24, stx_mode (u16) at 28, stx_size (u64) at 40.
        var mode = BitConverter.ToUInt16(statx[28..30]);
        var kind = (mode & 0xF000) switch
        {
            0x8000 => FileKind.Regular,
            0x4000 => FileKind.Directory,
            0xA000 => FileKind.SymbolicLink,
            _ => FileKind.Other,
        };
        return new FileStatus(kind, (UnixFileMode)(mode & 0xFFF), BitConverter.ToUInt32(statx[20..24]), BitConverter.ToUInt32(statx[24..28]),
            (long)BitConverter.ToUInt64(statx[40..48]));
    }

    private static void EnsureLinux()
    {
        if (!OperatingSystem.IsLinux())
            throw new PlatformNotSupportedException("file status is read with statx(2): runbook-host runs on Linux");
    }
}
