using Microsoft.Win32.SafeHandles;

namespace RunbookHost.IO;

/// <summary>
/// An exclusive flock(2) on a lock file, released when disposed or when the process dies. The file is opened with
/// O_NOFOLLOW and must be a regular file: a symbolic link planted at the lock's path is refused
/// (<see cref="UntrustedFileException"/>), so the host never creates or opens a file somewhere else through it.
/// </summary>
public sealed class ExclusiveLockFile : IDisposable
{
    private readonly SafeFileHandle handle;

    private ExclusiveLockFile(SafeFileHandle handle) => this.handle = handle;

    /// <summary>Null when another process (or another open of the file in this one) holds the lock.</summary>
    public static ExclusiveLockFile? TryAcquire(string path, string what)
    {
        var handle = NativeFile.OpenNoFollow(path, what, AtomicFile.PrivateFile)!;
        try
        {
            if (FileStatus.Of(handle).Kind != FileKind.Regular)
                throw new UntrustedFileException($"{what} {path} is not a regular file: remove it");
            if (NativeFile.TryLockExclusive(handle))
                return new ExclusiveLockFile(handle);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
        handle.Dispose();
        return null;
    }

    /// <summary>Retries every <paramref name="retry"/> until <paramref name="timeout"/> has passed; null when it never got the lock.</summary>
    public static ExclusiveLockFile? Acquire(string path, string what, TimeSpan timeout, TimeSpan retry, TimeProvider clock, CancellationToken cancellationToken = default)
    {
        var started = clock.GetTimestamp();
        while (true)
        {
            if (TryAcquire(path, what) is { } acquired)
                return acquired;
            if (clock.GetElapsedTime(started) >= timeout)
                return null;
            cancellationToken.WaitHandle.WaitOne(retry);
            cancellationToken.ThrowIfCancellationRequested();
        }
    }

    public void Dispose() => handle.Dispose();
}
