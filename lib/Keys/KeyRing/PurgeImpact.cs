using RunbookHost.Registry;
using RunbookHost.Runbooks;

namespace RunbookHost.Keys.KeyRing;

/// <summary>
/// What purging archived keys costs (spec §7.3): for each key, the window in which it encrypted the tenant's secrets, i.e.
/// the dates of the backups that no key will open any more once it is shredded. From the key history; without a registry
/// only the archive date (the end of the window) is known.
/// </summary>
public sealed class PurgeImpact : IStepDetail
{
    private readonly IReadOnlyDictionary<string, string> windows;

    private PurgeImpact(IReadOnlyDictionary<string, string> windows) => this.windows = windows;

    internal static PurgeImpact Of(IReadOnlyList<ArchivedKey> keys, IReadOnlyList<TenantKeyRecord>? history)
    {
        var windows = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var key in keys)
        {
            var row = history?.FirstOrDefault(h => h.PublicKeyHash == TenantRegistry.PublicKeyHash(key.PublicKey));
            windows[key.FileName] = row is not null
                ? $"backups taken {row.Window} (key version {row.KeyVersion})"
                : $"backups taken until {key.ArchivedOn:yyyy-MM-dd} (start unknown: no key history for this key)";
        }
        return new PurgeImpact(windows);
    }

    /// <summary>"backups taken 2026-09-01T10:00Z .. 2026-12-01T10:00Z (key version 3)" for <paramref name="key"/>.</summary>
    public string UnrecoverableBackups(ArchivedKey key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return windows.TryGetValue(key.FileName, out var window) ? window : $"backups taken until {key.ArchivedOn:yyyy-MM-dd}";
    }

    public string Detail => windows.Count == 0
        ? "no key to purge"
        : "no longer recoverable after the purge: " + string.Join("; ", windows.Select(w => $"{w.Key}: {w.Value}"));

    public override string ToString() => Detail;
}
