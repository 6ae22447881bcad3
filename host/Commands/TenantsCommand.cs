using System.ComponentModel;
using System.Text.Json.Nodes;
using RunbookHost.Cli.Execution;
using RunbookHost.Tenants;
using Spectre.Console.Cli;

namespace RunbookHost.Cli.Commands;

[Description("List tenants in the registry with status, key version and key age")]
internal sealed class TenantsCommand : AsyncCommand<TenantsCommand.Settings>
{
    public sealed class Settings : GlobalSettings
    {
        [CommandOption("--json")]
        [Description("Machine-readable output")]
        public bool Json { get; init; }

        [CommandOption("--keys <ID>")]
        [Description("The tenant's key history instead: every key version with its public key, validity window, archived-at, purged-at and key file (which key opens a backup of which date)")]
        public string? Keys { get; init; }
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        TenantId? keysOf = null;
        if (settings.Keys is not null && !TenantId.TryParse(settings.Keys, out keysOf, out var reason))
            throw new UsageException($"--keys: {reason}");
        var environment = HostEnvironment.Create(settings, quiet: true);
        await using var services = new ServicesFactory(environment.Settings, environment.Clock);
        var registry = await services.ReadyRegistry(cancellationToken)
            ?? throw new UsageException("the tenant registry lives on PostgreSQL: set RUNBOOKHOST_Postgres__AdminConnectionString");
        if (keysOf is not null)
            return await KeyHistoryCommand.PrintAsync(services.Services.Keys, registry, keysOf, settings.Json, cancellationToken);
        var tenants = await registry.ListAsync(null, cancellationToken);
        var now = environment.Clock.GetUtcNow();
        int? KeyAgeDays(DateTimeOffset? rotated) => rotated is { } at ? (int)(now - at).TotalDays : null;
        if (settings.Json)
        {
            var array = new JsonArray(tenants.Select(t => (JsonNode?)new JsonObject
            {
                ["tenant"] = t.TenantId.Value,
                ["status"] = t.Status.ToString().ToLowerInvariant(),
                ["tenant_octet"] = t.TenantOctet,
                ["key_version"] = t.KeyVersion,
                ["key_rotated_at"] = t.KeyRotatedAt,
                ["key_age_days"] = KeyAgeDays(t.KeyRotatedAt),
                ["key_rotation_due_at"] = t.KeyRotationDueAt,
                ["created_at"] = t.CreatedAt,
                ["deprovisioned_at"] = t.DeprovisionedAt,
            }).ToArray());
            Console.Out.WriteLine(array.ToJsonString(new() { WriteIndented = true }));
            return ExitCodes.Success;
        }
        var width = Math.Max(6, tenants.Select(t => t.TenantId.Value.Length).DefaultIfEmpty(0).Max());
        Console.Out.WriteLine($"{"TENANT".PadRight(width)}  {"STATUS",-15}  {"OCTET",5}  {"KEY",3}  {"KEY AGE",7}  ROTATION DUE");
        foreach (var t in tenants)
        {
            var age = KeyAgeDays(t.KeyRotatedAt) is { } days ? $"{days}d" : "-";
            var due = t.KeyRotationDueAt is { } at ? at.UtcDateTime.ToString("yyyy-MM-dd") + (at < now ? " (overdue)" : "") : "-";
            Console.Out.WriteLine($"{t.TenantId.Value.PadRight(width)}  {t.Status.ToString().ToLowerInvariant(),-15}  {t.TenantOctet?.ToString() ?? "-",5}  {t.KeyVersion,3}  {age,7}  {due}");
        }
        return ExitCodes.Success;
    }
}
