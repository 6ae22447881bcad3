using RunbookHost.IO;

namespace RunbookHost.Evidence;

/// <summary>
/// Creates a file atomically and never replaces one: the content goes to a temporary sibling
/// (created with its final mode, fsynced), which is then moved into place with no-overwrite
/// semantics (a hard link on Linux), so a reader sees the whole file or none, and of two racing
/// creators exactly one wins.
/// </summary>
internal static class CreateOnlyFile
{
    /// <returns>False when <paramref name="path"/> already existed (it is left untouched).</returns>
    public static bool TryCreate(string path, ReadOnlySpan<byte> content, UnixFileMode mode)
    {
        var folder = Path.GetDirectoryName(Path.GetFullPath(path))!;
        var temp = Path.Combine(folder, $".{Path.GetFileName(path)}.{Guid.NewGuid():N}.tmp");
        try
        {
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
            if (!OperatingSystem.IsWindows())
                options.UnixCreateMode = mode;
            using (var stream = new FileStream(temp, options))
            {
                stream.Write(content);
                stream.Flush(flushToDisk: true);
            }
            try
            {
                AtomicFile.Move(temp, path, overwrite: false);
                return true;
            }
            catch (IOException) when (File.Exists(path))
            {
                return false;
            }
        }
        finally
        {
            try { File.Delete(temp); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }
}
