using System.ComponentModel;
using System.Text.Json.Nodes;
using RunbookHost.Cli.Execution;
using RunbookHost.Tenants;
using Spectre.Console.Cli;

namespace RunbookHost.Cli.Commands;

[Description("Run one runbook for one tenant (--tenant), for every tenant in the registry (--all-tenants), or, for a fleet-wide runbook, once")]
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
        [Description("Run for every active tenant in the registry, in parallel (Run__Parallelism); verify is followed by verify-fleet")]
        public bool AllTenants { get; init; }

        [CommandOption("--dry-run")]
        [Description("Print each step and the exact statements it would run (secrets masked); change nothing")]
        public bool DryRun { get; init; }

        [CommandOption("--param <KEY=VALUE>")]
        [Description("A declared runbook parameter; repeatable")]
        public string[] Params { get; init; } = [];

        [CommandOption("--param-file <FILE>")]
        [Description("Parameters as KEY=VALUE lines, for secrets (never in argv): a file only you can read (0600), or --param-file=- for stdin")]
        public string? ParamFile { get; init; }

        [CommandOption("--json")]
        [Description("Print the outcome as JSON on stdout")]
        public bool Json { get; init; }

        [CommandOption("-q|--quiet")]
        [Description("Only warnings and errors on stderr (the default when several tenants run)")]
        public bool Quiet { get; init; }

        [CommandOption("-v|--verbose")]
        [Description("Every step and check line, also when several tenants run")]
        public bool Verbose { get; init; }
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        if (settings.AllTenants && settings.Tenants.Length > 0)
            throw new UsageException("give --tenant <id> (repeatable) or --all-tenants, not both");
        if (settings.Quiet && settings.Verbose)
            throw new UsageException("give --quiet or --verbose, not both");
        var tenants = new List<TenantId>();
        foreach (var candidate in settings.Tenants)
        {
            // Validated before configuration, logging or any file: a hostile id never reaches a path or a log line.
            if (!TenantId.TryParse(candidate, out var tenant, out var reason))
                throw new UsageException(reason);
            if (!tenants.Contains(tenant))
                tenants.Add(tenant);
        }
        var rawParams = ParamFileOption.Merge(settings.Params, settings.ParamFile, Console.OpenStandardInput);
        var several = settings.AllTenants || tenants.Count > 1;
        var quiet = settings.Json || settings.Quiet || (several && !settings.Verbose);
        var environment = HostEnvironment.Create(settings, quiet, settings.Verbose);
        await using var services = new ServicesFactory(environment.Settings, environment.Clock);
        var runner = new RunbookRunner(environment.Settings, environment.Catalog(), () => environment.Log, environment.Clock,
            EvidenceSinks.Create(environment.Settings), services);
        RunbookHost.Diagnostics.TimingTrace.Mark("services built");
        var prepared = runner.Prepare(settings.Runbook, rawParams, settings.DryRun);
        RunbookHost.Diagnostics.TimingTrace.Mark(prepared.Compiled.Compiled ? "runbook compiled" : "runbook loaded (compile cache)");
        if (prepared.Source.Metadata.IsFleet)
        {
            if (settings.AllTenants || tenants.Count > 0)
                throw new UsageException($"{settings.Runbook} proves the whole fleet: run it without --tenant or --all-tenants");
            var proof = await runner.RunFleet(prepared, null, cancellationToken);
            Report(proof, settings.Json);
            return proof.ExitCode;
        }
        if (!several && tenants.Count == 0)
            throw new UsageException("give --tenant <id> (repeatable) or --all-tenants");
        if (several)
        {
            var progress = FleetProgress.For(settings.Json);
            var outcomes = settings.AllTenants
                ? await FleetRun.AllTenants(services, runner, prepared, environment.Settings.Run.Parallelism, progress, cancellationToken)
                : await FleetRun.Each(tenants, environment.Settings.Run.Parallelism, runner, prepared, progress, cancellationToken);
            FleetReport.Write(outcomes, settings.Json);
            return RunOutcome.Combine(outcomes);
        }
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
        var status = outcome.Outcome switch
        {
            RunbookHost.Evidence.RunOutcomes.Passed => "succeeded",
            RunbookHost.Evidence.RunOutcomes.Incomplete => "INCOMPLETE",
            _ => "FAILED",
        };
        Console.Out.WriteLine($"{outcome.Tenant}: {status}{(outcome.Error is null ? "" : ": " + outcome.Error)}");
        if (outcome.RolledBack.Count > 0)
            Console.Out.WriteLine($"rolled back: {string.Join(", ", outcome.RolledBack)}");
        if (outcome.Result is JsonNode result)
            Console.Out.WriteLine($"result: {result.ToJsonString()}");
        Console.Out.WriteLine($"evidence: {outcome.EvidenceFile}");
    }
}
