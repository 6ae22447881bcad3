using RunbookHost.Configuration;
using Serilog;
using Serilog.Events;
using Serilog.Formatting.Compact;

namespace RunbookHost.Cli;

/// <summary>Human lines on stderr (stdout stays for command output and --json), and a JSON log file per day.</summary>
internal static class Logging
{
    public static ILogger Create(HostSettings settings, bool quiet, bool verbose = false)
    {
        Directory.CreateDirectory(settings.Paths.Logs);
        return new LoggerConfiguration()
            .MinimumLevel.Debug()
            .Enrich.WithProperty("HostVersion", HostInfo.Version)
            .Enrich.With<TenantPrefix>()
            .WriteTo.Console(
                restrictedToMinimumLevel: quiet ? LogEventLevel.Warning : verbose ? LogEventLevel.Debug : LogEventLevel.Information,
                outputTemplate: "{Timestamp:HH:mm:ss} {Level:u3} {TenantPrefix}{Message:lj}{NewLine}",
                standardErrorFromLevel: LogEventLevel.Verbose)
            .WriteTo.File(new CompactJsonFormatter(), Path.Combine(settings.Paths.Logs, "runbook-host-.json"),
                rollingInterval: RollingInterval.Day, retainedFileCountLimit: 31, shared: true)
            .CreateLogger();
    }
}
