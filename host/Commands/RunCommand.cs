using System.ComponentModel;
using System.Text.Json.Nodes;
using RunbookHost.Cli.Execution;
using RunbookHost.Tenants;
using Spectre.Console.Cli;

namespace RunbookHost.Cli.Commands;

[Description("Run one runbook for one tenant (--tenant) or for every tenant in the registry (--all-tenants)")]
internal sealed class RunCommand : AsyncCommand<RunCommand.Settings>
{
    public sealed class Settings : GlobalSettings
    {
        [CommandArgument(0, "<runbook>")]
        [Description("Runbook name, as `list` shows it")]
        public string Runbook { get; init; } = "";

        [CommandOption("--tenant <ID>")]
        [Description("Tenant id: 3-32 of a-z and 0-9, starting with a letter; repeatable (several tenants run in parallel)")]
        public string[] Tenants { get; init; } = [];

        [CommandOption("--all-tenants")]
        [Description("Run for every active tenant in the registry, in parallel (Run__Parallelism)")]
        public bool AllTenants { get; init; }

        [CommandOption("--dry-run")]
        [Description("Print each step and the exact statements it would run (secrets masked); change nothing")]
        public bool DryRun { get; init; }

        [CommandOption("--param <KEY=VALUE>")]
        [Description("A declared runbook parameter; repeatable")]
        public string[] Params { get; init; } = [];

        [CommandOption("--json")]
        [Description("Print the outcome as JSON on stdout")]
        public bool Json { get; init; }
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        if (settings.AllTenants == (settings.Tenants.Length > 0))
            throw new UsageException("give --tenant <id> (repeatable) or --all-tenants");
        var tenants = new List<TenantId>();
        foreach (var candidate in settings.Tenants)
        {
            // Validated before configuration, logging or any file: a hostile id never reaches a path or a log line.
            if (!TenantId.TryParse(candidate, out var tenant, out var reason))
                throw new UsageException(reason);
            if (!tenants.Contains(tenant))
                tenants.Add(tenant);
        }
        var environment = HostEnvironment.Create(settings, quiet: settings.Json);
        await using var services = new ServicesFactory(environment.Settings, environment.Clock);
        var runner = new RunbookRunner(environment.Settings, environment.Catalog(), () => environment.Log, environment.Clock,
            EvidenceSinks.Create(environment.Settings), services);
        var prepared = runner.Prepare(settings.Runbook, settings.Params, settings.DryRun);
        if (settings.AllTenants)
            return await FleetRun.Run(environment, services, runner, prepared, settings.Json, cancellationToken);
        if (tenants.Count > 1)
            return await FleetRun.RunGiven(tenants, environment, runner, prepared, settings.Json, cancellationToken);
        var outcome = await runner.Run(prepared, tenants[0], cancellationToken);
        Report(outcome, settings.Json);
        return outcome.ExitCode;
    }

    internal static void Report(RunOutcome outcome, bool json)
    {
        if (json)
        {
            Console.Out.WriteLine(RunbookRunner.ToJson(outcome).ToJsonString(new() { WriteIndented = true }));
            return;
        }
        var status = outcome.ExitCode == ExitCodes.Success ? "succeeded" : "FAILED";
        Console.Out.WriteLine($"{outcome.Tenant}: {status}{(outcome.Error is null ? "" : ": " + outcome.Error)}");
        if (outcome.RolledBack.Count > 0)
            Console.Out.WriteLine($"rolled back: {string.Join(", ", outcome.RolledBack)}");
        if (outcome.Result is JsonNode result)
            Console.Out.WriteLine($"result: {result.ToJsonString()}");
        Console.Out.WriteLine($"evidence: {outcome.EvidenceFile}");
    }
}
