namespace RunbookHost.IO;

/// <summary>
/// Writes files that matter (keys, secrets, evidence) so a reader sees either the old content or
/// the new, never a torn file: write a temporary sibling, fsync it, rename over the target, fsync
/// the folder. The temporary file is created with the final mode, so a private key is never
/// readable by others, not even for an instant.
/// </summary>
public static class AtomicFile
{
    public const UnixFileMode PrivateFile = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    public const UnixFileMode PublicFile = PrivateFile | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
    public const UnixFileMode PrivateFolder = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    public static void Write(string path, ReadOnlySpan<byte> content, UnixFileMode mode = PublicFile) =>
        Write(path, content, mode, prepare: null);

    /// <summary>
    /// As <see cref="Write(string, ReadOnlySpan{byte}, UnixFileMode)"/>; <paramref name="prepare"/> runs on the
    /// temporary file's handle before the rename (e.g. to set its exact mode and owner), so the target never
    /// has the wrong owner, not even for an instant.
    /// </summary>
    public static void Write(string path, ReadOnlySpan<byte> content, UnixFileMode mode, Action<Microsoft.Win32.SafeHandles.SafeFileHandle>? prepare)
    {
        var folder = Path.GetDirectoryName(Path.GetFullPath(path))!;
        var temp = Path.Combine(folder, $".{Path.GetFileName(path)}.{Guid.NewGuid():N}.tmp");
        try
        {
            var options = new FileStreamOptions
            {
                Mode = FileMode.CreateNew,
                Access = FileAccess.Write,
                Share = FileShare.None,
            };
            if (!OperatingSystem.IsWindows())
                options.UnixCreateMode = mode;
            using (var stream = new FileStream(temp, options))
            {
                stream.Write(content);
                prepare?.Invoke(stream.SafeFileHandle);
                using (RunbookHost.Diagnostics.TimingTrace.Measure("fsync: file (atomic write)"))
                    stream.Flush(flushToDisk: true);
            }
            File.Move(temp, path, overwrite: true);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
        SyncFolder(folder);
    }

    public static void WriteText(string path, string content, UnixFileMode mode = PublicFile) =>
        Write(path, System.Text.Encoding.UTF8.GetBytes(content), mode);

    /// <summary>Renames within one folder and makes the rename durable.</summary>
    public static void Move(string from, string to, bool overwrite = false)
    {
        File.Move(from, to, overwrite);
        SyncFolder(Path.GetDirectoryName(Path.GetFullPath(to))!);
    }

    public static void CreatePrivateFolder(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(path);
            return;
        }
        Directory.CreateDirectory(path, PrivateFolder);
        File.SetUnixFileMode(path, PrivateFolder);
    }

    /// <summary>fsync on the folder so the rename itself survives a power cut.</summary>
    public static void SyncFolder(string folder)
    {
        if (OperatingSystem.IsWindows())
            return;
        using (RunbookHost.Diagnostics.TimingTrace.Measure("fsync: folder"))
            NativeSync.SyncDirectory(folder);
    }

    private static void TryDelete(string path)
    {
        try { File.Delete(path); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
