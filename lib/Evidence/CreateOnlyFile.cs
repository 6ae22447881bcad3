using System.Runtime.InteropServices;
using RunbookHost.IO;

namespace RunbookHost.Evidence;

/// <summary>
/// Creates a file atomically and never replaces one: the content goes to a temporary sibling
/// (created with its final mode, fsynced), which is then hard-linked into place. link(2) fails
/// with EEXIST instead of replacing, so a reader sees the whole file or none, and of two racing
/// creators exactly one wins. (.NET's File.Move(overwrite: false) checks and then renames, which
/// is not safe against a racing creator.)
/// </summary>
internal static partial class CreateOnlyFile
{
    private const int EEXIST = 17; // Linux and macOS

    /// <returns>False when <paramref name="path"/> already existed (it is left untouched).</returns>
    public static bool TryCreate(string path, ReadOnlySpan<byte> content, UnixFileMode mode)
    {
        var folder = Path.GetDirectoryName(Path.GetFullPath(path))!;
        var temp = Path.Combine(folder, $".{Path.GetFileName(path)}.{Guid.NewGuid():N}.tmp");
        try
        {
            WriteNew(temp, content, mode);
            if (OperatingSystem.IsWindows())
                return MoveNoReplace(temp, path); // MoveFileEx without REPLACE_EXISTING is atomic
            if (Link(temp, path) == 0)
            {
                AtomicFile.SyncFolder(folder);
                return true;
            }
            var errno = Marshal.GetLastPInvokeError();
            if (errno == EEXIST)
                return false;
            // A file system without hard links: O_EXCL still never replaces, but a concurrent
            // reader could see the file before it is complete.
            try
            {
                WriteNew(path, content, mode);
            }
            catch (IOException) when (File.Exists(path))
            {
                return false;
            }
            AtomicFile.SyncFolder(folder);
            return true;
        }
        finally
        {
            try { File.Delete(temp); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    private static void WriteNew(string path, ReadOnlySpan<byte> content, UnixFileMode mode)
    {
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows())
            options.UnixCreateMode = mode;
        using var stream = new FileStream(path, options);
        stream.Write(content);
        using (RunbookHost.Diagnostics.TimingTrace.Measure("fsync: file (create-only)"))
            stream.Flush(flushToDisk: true);
    }

    private static bool MoveNoReplace(string from, string to)
    {
        try
        {
            AtomicFile.Move(from, to, overwrite: false);
            return true;
        }
        catch (IOException) when (File.Exists(to))
        {
            return false;
        }
    }

    [LibraryImport("libc", EntryPoint = "link", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Link(string existingPath, string newPath);
}
