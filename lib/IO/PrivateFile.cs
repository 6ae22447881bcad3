using System.Security.Cryptography;
using RunbookHost.Evidence;

namespace RunbookHost.IO;

/// <summary>
/// Files only their owner may read: secret parameter files and host keys. Opened without following a symbolic link,
/// then checked on the open handle (what was really opened): a regular file owned by the user running the host,
/// with no permission for group or others.
/// </summary>
public static class PrivateFile
{
    /// <summary>The file's bytes, or null when it does not exist. Throws <see cref="UntrustedFileException"/> when it is not private.</summary>
    public static byte[]? ReadIfExists(string path, string what, int maxBytes) =>
        NativeFile.ReadIfExists(path, what, maxBytes, status =>
        {
            if (status.Uid != FileStatus.EffectiveUid)
                throw new UntrustedFileException(
                    $"{what} {path} is owned by uid {status.Uid}, not by the user running runbook-host (uid {FileStatus.EffectiveUid}): run chown {Environment.UserName} {path}");
            if (status.AccessibleByOthers)
                throw new UntrustedFileException($"{what} {path} may be read or changed by group or others: run chmod 600 {path}");
        });

    /// <summary>
    /// A random key of <paramref name="length"/> bytes kept in <paramref name="path"/> (mode 0600): created atomically on
    /// first use (of two racing creators one wins and both use its key), refused when it is not private or not a key.
    /// </summary>
    public static byte[] LoadOrCreateKey(string path, string what, int length)
    {
        const int tooLong = 4096; // read a wrong-sized file whole, to name the problem (it is not a key)
        var key = ReadIfExists(path, what, tooLong);
        if (key is null)
        {
            var fresh = RandomNumberGenerator.GetBytes(length);
            try
            {
                CreateOnlyFile.TryCreate(path, fresh, AtomicFile.PrivateFile);
            }
            finally
            {
                CryptographicOperations.ZeroMemory(fresh);
            }
            key = ReadIfExists(path, what, tooLong) ?? throw new IOException($"{what} {path} could not be created");
        }
        if (key.Length != length)
            throw new UntrustedFileException($"{what} {path} is not a {length}-byte key: delete it and a new one is created");
        return key;
    }
}
