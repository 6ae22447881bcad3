namespace RunbookHost.IO;

/// <summary>
/// Refuses files and folders the host would otherwise trust (configuration, runbooks, the compile cache, logs, keys)
/// when someone other than the user running the host, or root, could have changed them — the model is OpenSSH's
/// StrictModes. A file or folder must be owned by that user or root and not be writable by group or others; the same
/// holds for every folder above its real path (symbolic links resolved), except that a root-owned sticky folder such as
/// /tmp may be world-writable, because there nobody can rename or delete what another user created.
/// </summary>
public static class StrictModes
{
    /// <summary>Checks the file or folder at <paramref name="path"/> and every folder above it. Nothing there: nothing to check.</summary>
    public static void Check(string path, string what)
    {
        if (!OperatingSystem.IsLinux())
            return; // runbook-host runs on Linux; modes and owners are not checked on a developer's other system
        var real = NativeFile.RealPath(path);
        if (real is null)
            return;
        CheckEntry(path, real, what);
        for (var folder = Path.GetDirectoryName(real); folder is not null; folder = Path.GetDirectoryName(folder))
            CheckAncestor(path, folder, what);
    }

    /// <summary>
    /// <see cref="Check"/> on <paramref name="folder"/>, then every entry below it (<paramref name="whatEntry"/>) without
    /// following symbolic links (a link's target is checked where it is used). A FIFO, socket or device in it is refused.
    /// </summary>
    public static void CheckTree(string folder, string what, string whatEntry)
    {
        Check(folder, what);
        if (!OperatingSystem.IsLinux() || NativeFile.RealPath(folder) is not { } real)
            return;
        var pending = new Stack<string>([real]);
        while (pending.TryPop(out var current))
        {
            foreach (var entry in Directory.EnumerateFileSystemEntries(current))
            {
                var status = FileStatus.Of(entry, followLinks: false);
                if (status is not { } s)
                    continue; // removed while we looked
                if (s.Kind == FileKind.Other)
                    throw new UntrustedFileException($"{whatEntry} {entry} is not a regular file, folder or symbolic link: remove it");
                if (s.Kind != FileKind.SymbolicLink)
                    CheckEntry(entry, entry, whatEntry, s);
                if (s.Kind == FileKind.Directory)
                    pending.Push(entry);
            }
        }
    }

    private static void CheckEntry(string shown, string real, string what, FileStatus? known = null)
    {
        var status = known ?? FileStatus.Of(real, followLinks: false) ?? throw new FileNotFoundException($"{what} {shown} disappeared", shown);
        if (!Trusted(status.Uid))
            throw new UntrustedFileException(
                $"{what} {shown} is owned by uid {status.Uid}, not by root or by the user running runbook-host (uid {FileStatus.EffectiveUid}): " +
                $"run chown {Environment.UserName} {shown}, or remove it");
        if (status.WritableByOthers)
            throw new UntrustedFileException($"{what} {shown} is writable by {WhoMayWrite(status)}: run chmod go-w {shown}");
    }

    private static void CheckAncestor(string shown, string folder, string what)
    {
        var status = FileStatus.Of(folder, followLinks: false) ?? throw new FileNotFoundException($"{folder} disappeared", folder);
        if (!Trusted(status.Uid))
            throw new UntrustedFileException(
                $"{what} {shown} is inside {folder}, which is owned by uid {status.Uid}, not by root or by the user running runbook-host " +
                $"(uid {FileStatus.EffectiveUid}): move it to a folder only they control");
        if (status.WritableByOthers && !(status.Sticky && status.Uid == 0))
            throw new UntrustedFileException(
                $"{what} {shown} is inside {folder}, which is writable by {WhoMayWrite(status)}: run chmod go-w {folder}");
    }

    private static bool Trusted(uint uid) => uid == 0 || uid == FileStatus.EffectiveUid;

    private static string WhoMayWrite(FileStatus status) =>
        (status.Mode & UnixFileMode.GroupWrite) != 0 && (status.Mode & UnixFileMode.OtherWrite) != 0 ? "group and others"
        : (status.Mode & UnixFileMode.GroupWrite) != 0 ? "its group" : "others";
}

/// <summary>A file or folder the host refuses to trust or use; the message names it and the fix. Exit code 2.</summary>
public sealed class UntrustedFileException(string message) : Exception(message);
