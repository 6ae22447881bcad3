using System.Text.Json.Nodes;
using RunbookHost.Keys.KeyRing;
using RunbookHost.Registry;
using RunbookHost.Tenants;

namespace RunbookHost.Cli.Commands;

/// <summary>
/// <c>tenants --keys &lt;id&gt;</c>: the registry's key-to-date mapping (spec §7.3). A backup taken at time T is opened by
/// the key version whose window [valid_from, valid_to) holds T; a PURGED version's backups are no longer recoverable.
/// </summary>
internal static class KeyHistoryCommand
{
    public static async Task<int> PrintAsync(TenantKeyRing ring, TenantRegistry registry, TenantId tenant, bool json, CancellationToken cancellationToken)
    {
        if (await registry.GetAsync(tenant, cancellationToken) is null)
            throw new UsageException($"tenant {tenant} is not in the registry");
        var history = await BackupKeys.HistoryAsync(ring, registry, tenant, cancellationToken);
        if (json)
        {
            var array = new JsonArray(history.Select(k => (JsonNode?)new JsonObject
            {
                ["key_version"] = k.KeyVersion,
                ["status"] = k.Status,
                ["public_key"] = k.AgePublicKey,
                ["public_key_hash"] = k.PublicKeyHash,
                ["key_file"] = k.KeyFile,
                ["valid_from"] = k.ValidFrom ?? k.CreatedAt,
                ["valid_to"] = k.ValidTo,
                ["archived_at"] = k.ArchivedAt,
                ["purged_at"] = k.PurgedAt,
                ["rotation_reason"] = k.RotationReason,
            }).ToArray());
            Console.Out.WriteLine(array.ToJsonString(new() { WriteIndented = true }));
            return ExitCodes.Success;
        }
        Console.Out.WriteLine($"{"VERSION",7}  {"STATUS",-8}  {"VALID FROM",-17}  {"VALID TO",-17}  {"ARCHIVED AT",-17}  {"PURGED AT",-17}  {"KEY FILE",-32}  PUBLIC KEY");
        foreach (var k in history)
        {
            Console.Out.WriteLine($"{k.KeyVersion,7}  {k.Status,-8}  {Stamp(k.ValidFrom ?? k.CreatedAt),-17}  {Stamp(k.ValidTo),-17}  {Stamp(k.ArchivedAt),-17}  {Stamp(k.PurgedAt),-17}  " +
                                  $"{k.KeyFile ?? "-",-32}  {k.AgePublicKey ?? k.PublicKeyHash}");
        }
        return ExitCodes.Success;
    }

    private static string Stamp(DateTimeOffset? at) => at is { } t ? t.UtcDateTime.ToString("yyyy-MM-dd HH:mm'Z'", System.Globalization.CultureInfo.InvariantCulture) : "-";
}
