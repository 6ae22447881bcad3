using System.ComponentModel;
using Spectre.Console.Cli;

namespace RunbookHost.Cli.Commands;

/// <summary>Options every command accepts.</summary>
public class GlobalSettings : CommandSettings
{
    [CommandOption("--runbooks <DIR>")]
    [Description("Folder of .csx runbooks (default ./runbooks)")]
    public string RunbooksFolder { get; init; } = "runbooks";

    [CommandOption("--config <FILE>")]
    [Description("JSON configuration file (default /etc/runbook-host/runbook-host.json if present; never read from the working folder implicitly); RUNBOOKHOST_* variables override it")]
    public string? ConfigFile { get; init; }
}
