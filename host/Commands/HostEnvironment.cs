using RunbookHost.Configuration;
using RunbookHost.Runbooks;
using Serilog;

namespace RunbookHost.Cli.Commands;

/// <summary>What a command needs, built from the global options after validation.</summary>
internal sealed class HostEnvironment
{
    private readonly Lazy<ILogger> log;

    private HostEnvironment(HostSettings settings, string runbooksFolder, bool quiet, bool verbose)
    {
        Settings = settings;
        RunbooksFolder = runbooksFolder;
        // Created on first use, so a command rejected during validation leaves no log file behind.
        log = new Lazy<ILogger>(() => Logging.Create(settings, quiet, verbose));
    }

    public HostSettings Settings { get; }
    public string RunbooksFolder { get; }
    public ILogger Log => log.Value;
    public TimeProvider Clock { get; } = TimeProvider.System;

    public static HostEnvironment Create(GlobalSettings options, bool quiet = false, bool verbose = false)
    {
        var settings = HostConfiguration.Load(options.ConfigFile);
        // Refused now (exit 2, before anything is touched), not when the first line is logged.
        Logging.CheckFolder(settings.Paths.Logs);
        RunbookHost.Diagnostics.TimingTrace.Mark("configuration bound");
        return new HostEnvironment(settings, options.RunbooksFolder, quiet, verbose);
    }

    public RunbookCatalog Catalog() => OpenCatalog(RunbooksFolder);

    /// <summary>The runbooks folder, or a one-line usage error when it does not exist.</summary>
    public static RunbookCatalog OpenCatalog(string folder)
    {
        try { return new RunbookCatalog(folder); }
        catch (RunbookDefinitionException error) { throw new UsageException(error.Message); }
    }
}
