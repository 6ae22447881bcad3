using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace RunbookHost.IO;

/// <summary>
/// The few file calls .NET cannot make: open(2) with O_NOFOLLOW (a planted symbolic link is refused by the kernel,
/// not by a check that races the open), flock(2) on such a handle, and realpath(3) over every path component.
/// </summary>
public static partial class NativeFile
{
    private const int ORdOnly = 0x0, ORdWr = 0x2, OCreat = 0x40, ONonBlock = 0x800, OCloExec = 0x80000;
    private const int LockExclusive = 2, LockNonBlocking = 4;
    private const int ENOENT = 2, EWOULDBLOCK = 11, ENOTDIR = 20, ELOOP = 40;

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Open(string path, int flags, int mode);

    [LibraryImport("libc", EntryPoint = "flock", SetLastError = true)]
    private static partial int Flock(SafeFileHandle fd, int operation);

    [LibraryImport("libc", EntryPoint = "realpath", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial IntPtr RealPathNative(string path, IntPtr resolved);

    [LibraryImport("libc", EntryPoint = "free")]
    private static partial void Free(IntPtr pointer);

    /// <summary>O_NOFOLLOW differs between architectures (asm-generic vs arm64).</summary>
    private static int ONoFollow => RuntimeInformation.ProcessArchitecture switch
    {
        Architecture.X64 or Architecture.X86 => 0x20000,
        Architecture.Arm64 or Architecture.Arm => 0x8000,
        var other => throw new PlatformNotSupportedException($"O_NOFOLLOW is not known for {other}"),
    };

    /// <summary>
    /// Opens (read-only, or read-write and created with <paramref name="createMode"/> when missing) without following a
    /// symbolic link in the last component and without blocking on a FIFO. Null when the file does not exist (read-only).
    /// Throws <see cref="UntrustedFileException"/> when <paramref name="path"/> is a symbolic link.
    /// </summary>
    public static SafeFileHandle? OpenNoFollow(string path, string what, UnixFileMode? createMode = null)
    {
        if (!OperatingSystem.IsLinux())
            throw new PlatformNotSupportedException("O_NOFOLLOW opens are implemented for Linux");
        var flags = (createMode is null ? ORdOnly : ORdWr | OCreat) | ONoFollow | ONonBlock | OCloExec;
        var fd = Open(path, flags, (int)(createMode ?? 0));
        if (fd >= 0)
            return new SafeFileHandle(fd, ownsHandle: true);
        var errno = Marshal.GetLastPInvokeError();
        return errno switch
        {
            ELOOP => throw new UntrustedFileException($"{what} {path} is a symbolic link, which runbook-host never follows there (someone may have planted it): remove it"),
            ENOENT or ENOTDIR when createMode is null => null,
            _ => throw new IOException($"cannot open {what} {path}: errno {errno}"),
        };
    }

    /// <summary>
    /// The bytes of a regular file, opened with O_NOFOLLOW and checked on the open handle (<paramref name="check"/> may
    /// refuse it by throwing); null when nothing is there. A symbolic link, FIFO, device or a file larger than
    /// <paramref name="maxBytes"/> is refused with <see cref="UntrustedFileException"/>.
    /// </summary>
    public static byte[]? ReadIfExists(string path, string what, int maxBytes, Action<FileStatus>? check = null)
    {
        using var handle = OpenNoFollow(path, what);
        if (handle is null)
            return null;
        var status = FileStatus.Of(handle);
        if (status.Kind != FileKind.Regular)
            throw new UntrustedFileException($"{what} {path} is not a regular file");
        check?.Invoke(status);
        if (status.Size > maxBytes)
            throw new UntrustedFileException($"{what} {path} is larger than {maxBytes} bytes");
        using var stream = new FileStream(handle, FileAccess.Read);
        return ReadAtMost(stream, maxBytes, $"{what} {path}");
    }

    /// <summary>Everything a stream gives, refusing more than <paramref name="maxBytes"/> (stdin has no size to check first).</summary>
    public static byte[] ReadAtMost(Stream stream, int maxBytes, string what)
    {
        var buffer = new MemoryStream();
        var chunk = new byte[8192];
        int read;
        while ((read = stream.Read(chunk)) > 0)
        {
            if (buffer.Length + read > maxBytes)
                throw new UntrustedFileException($"{what} is larger than {maxBytes} bytes");
            buffer.Write(chunk, 0, read);
        }
        return buffer.ToArray();
    }

    /// <summary>Takes an exclusive flock(2) without waiting; false when another open file holds it.</summary>
    public static bool TryLockExclusive(SafeFileHandle handle)
    {
        if (Flock(handle, LockExclusive | LockNonBlocking) == 0)
            return true;
        var errno = Marshal.GetLastPInvokeError();
        return errno == EWOULDBLOCK ? false : throw new IOException($"flock failed: errno {errno}");
    }

    /// <summary>The path with every symbolic link, ".." and "." of every component resolved, or null when it does not exist.</summary>
    public static string? RealPath(string path)
    {
        if (!OperatingSystem.IsLinux())
            return Path.GetFullPath(path);
        var resolved = RealPathNative(path, IntPtr.Zero);
        if (resolved == IntPtr.Zero)
        {
            var errno = Marshal.GetLastPInvokeError();
            return errno is ENOENT or ENOTDIR ? null : throw new IOException($"cannot resolve {path}: errno {errno}");
        }
        try { return Marshal.PtrToStringUTF8(resolved); }
        finally { Free(resolved); }
    }
}
