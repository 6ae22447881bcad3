using RunbookHost.Configuration;
using RunbookHost.IO;
using Serilog;
using Serilog.Events;
using Serilog.Formatting.Compact;

namespace RunbookHost.Cli;

/// <summary>Human lines on stderr (stdout stays for command output and --json), and a JSON log file per day.</summary>
internal static class Logging
{
    private const string FilePrefix = "runbook-host-", FileSuffix = ".json";
    // 0755: log shippers may read the logs; only the host's user may write there.
    private const UnixFileMode FolderMode = AtomicFile.PrivateFolder | UnixFileMode.GroupRead | UnixFileMode.GroupExecute
        | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;

    public static ILogger Create(HostSettings settings, bool quiet, bool verbose = false)
    {
        if (!Directory.Exists(settings.Paths.Logs))
        {
            if (OperatingSystem.IsWindows())
                Directory.CreateDirectory(settings.Paths.Logs);
            else
                Directory.CreateDirectory(settings.Paths.Logs, FolderMode);
        }
        CheckFolder(settings.Paths.Logs);
        return new LoggerConfiguration()
            .MinimumLevel.Debug()
            .Enrich.WithProperty("HostVersion", HostInfo.Version)
            .Enrich.With<TenantPrefix>()
            .WriteTo.Console(
                restrictedToMinimumLevel: quiet ? LogEventLevel.Warning : verbose ? LogEventLevel.Debug : LogEventLevel.Information,
                outputTemplate: "{Timestamp:HH:mm:ss} {Level:u3} {TenantPrefix}{Message:lj}{NewLine}",
                standardErrorFromLevel: LogEventLevel.Verbose)
            .WriteTo.File(new CompactJsonFormatter(), Path.Combine(settings.Paths.Logs, FilePrefix + FileSuffix),
                rollingInterval: RollingInterval.Day, retainedFileCountLimit: 31, shared: true)
            .CreateLogger();
    }

    /// <summary>
    /// The log folder must pass <see cref="StrictModes"/> and hold nothing but regular files where log files go:
    /// Serilog's file sink opens its files by path (it takes no O_NOFOLLOW) and would write through a planted
    /// symbolic link. Nothing to check while the folder does not exist.
    /// </summary>
    public static void CheckFolder(string folder)
    {
        if (!Directory.Exists(folder))
            return;
        StrictModes.Check(folder, "log folder");
        foreach (var file in Directory.EnumerateFileSystemEntries(folder, FilePrefix + "*" + FileSuffix))
        {
            if (FileStatus.Of(file, followLinks: false) is { Kind: not FileKind.Regular })
                throw new UntrustedFileException($"log file {file} is not a regular file (the host would write wherever a link there points): remove it");
        }
    }
}
