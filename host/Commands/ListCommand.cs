using System.ComponentModel;
using System.Text.Json.Nodes;
using RunbookHost.IO;
using RunbookHost.Runbooks;
using Spectre.Console.Cli;

namespace RunbookHost.Cli.Commands;

[Description("List every runbook: name, version, summary, sha256 of its source")]
internal sealed class ListCommand : Command<ListCommand.Settings>
{
    public sealed class Settings : GlobalSettings
    {
        [CommandOption("--json")]
        [Description("Machine-readable output")]
        public bool Json { get; init; }

        [CommandOption("--write-lock")]
        [Description("Rewrite runbooks/runbooks.lock from the current sources (after bumping versions)")]
        public bool WriteLock { get; init; }
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        // No configuration is read: listing (and locking) runbooks needs none.
        var catalog = HostEnvironment.OpenCatalog(settings.RunbooksFolder);
        IReadOnlyList<RunbookSource> runbooks;
        try { runbooks = catalog.List(); }
        catch (Exception error) when (error is RunbookDefinitionException or RunbookCompileException) { throw new UsageException(error.Message); }
        if (settings.WriteLock)
        {
            AtomicFile.WriteText(Path.Combine(catalog.Root, RunbookCatalog.LockFileName), catalog.ComputeLock().Format());
        }
        var runbookLock = catalog.ReadLock();
        if (settings.Json)
        {
            var array = new JsonArray(runbooks.Select(r => (JsonNode?)new JsonObject
            {
                ["name"] = r.Metadata.Name,
                ["version"] = r.Metadata.Version,
                ["summary"] = r.Metadata.Summary,
                ["sha256"] = r.SourceSha256,
                ["file"] = r.DisplayPath,
                ["locked"] = runbookLock.Problem(r) is null,
                ["parameters"] = new JsonArray(r.Metadata.Parameters.Select(p => (JsonNode?)new JsonObject
                {
                    ["name"] = p.Name,
                    ["required"] = p.Required,
                    ["default"] = p.Default,
                    ["allowed"] = new JsonArray(p.Allowed.Select(a => (JsonNode?)a).ToArray()),
                    ["description"] = p.Description,
                }).ToArray()),
            }).ToArray());
            Console.Out.WriteLine(array.ToJsonString(new() { WriteIndented = true }));
            return ExitCodes.Success;
        }
        // Plain aligned columns: readable on a terminal, greppable in a pipe, full hashes for comparing with evidence.
        var nameWidth = Math.Max(7, runbooks.Select(r => r.Metadata.Name.Length).DefaultIfEmpty(0).Max());
        Console.Out.WriteLine($"{"RUNBOOK".PadRight(nameWidth)}  {"VERSION",-9}  {"SHA256",-64}  SUMMARY");
        foreach (var runbook in runbooks)
        {
            var locked = runbookLock.Problem(runbook) is null ? "" : "  (not in runbooks.lock: will not run)";
            Console.Out.WriteLine($"{runbook.Metadata.Name.PadRight(nameWidth)}  {runbook.Metadata.Version,-9}  {runbook.SourceSha256}  {runbook.Metadata.Summary}{locked}");
        }
        return ExitCodes.Success;
    }
}
