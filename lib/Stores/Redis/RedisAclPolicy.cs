using RunbookHost.Tenants;

namespace RunbookHost.Stores.Redis;

/// <summary>
/// One ACL rule beyond <c>+@all</c>, the reason for it, and a command a tenant connection runs to prove
/// the rule holds on the live server (expected answer: NOPERM). Probes are harmless if they were allowed:
/// read-only, or given an invalid option so the server rejects them after the ACL check.
/// </summary>
public sealed record RedisAclRule(string Rule, string Reason, IReadOnlyList<string>? Probe);

/// <summary>The tenant user's ACL, built only from a <see cref="TenantId"/>.</summary>
public static class RedisAclPolicy
{
    /// <summary>Placeholder for the probe that needs another tenant's prefix.</summary>
    internal const string OtherPrefix = "{other}";

    /// <summary>
    /// Rules after <c>+@all</c>, in order. Redis 7.0 checks key patterns only for commands that
    /// name keys; these commands reach across prefixes (or across tenants' connections) anyway.
    /// </summary>
    public static IReadOnlyList<RedisAclRule> DenyRules { get; } =
    [
        new("-@dangerous", "FLUSHALL/FLUSHDB, CONFIG, DEBUG, KEYS, INFO, MONITOR, SLOWLOG (other clients' arguments), SORT BY/GET, MIGRATE, ACL, SHUTDOWN…",
            ["FLUSHALL", "runbookhostprobe"]),
        new("-scan", "SCAN is not filtered by key patterns on Redis 7.0: it returns every tenant's key names", ["SCAN", "0", "COUNT", "10"]),
        new("-randomkey", "RANDOMKEY returns any key in the database, other tenants' included", ["RANDOMKEY"]),
        new("-dbsize", "DBSIZE counts every tenant's keys", ["DBSIZE"]),
        new("-keys", "KEYS lists every tenant's key names (also in @dangerous; kept explicit)", ["KEYS", $"tenant:{OtherPrefix}:*"]),
        new("-client", "CLIENT TRACKING on BCAST PREFIX <other tenant> streams other tenants' key invalidations; CLIENT LIST/KILL/PAUSE/UNBLOCK/NO-EVICT reach other tenants' connections",
            ["CLIENT", "TRACKING", "on", "BCAST", "PREFIX", $"tenant:{OtherPrefix}:"]),
        new("+client|setname +client|getname +client|id +client|info", "re-allowed: own-connection only, used by client libraries (StackExchange.Redis names its connections)", null),
        new("-function", "function libraries are server-global: FUNCTION FLUSH/DELETE/LOAD REPLACE destroy other tenants' libraries, FUNCTION LIST WITHCODE reads their code",
            ["FUNCTION", "FLUSH", "runbookhostprobe"]),
        new("-fcall -fcall_ro", "no tenant libraries exist once FUNCTION is denied; calling another tenant's function is not a tenant operation", ["FCALL", "runbookhostprobe", "0"]),
        new("-script|flush", "SCRIPT FLUSH empties the server-wide script cache (other tenants' EVALSHA start failing)", ["SCRIPT", "FLUSH", "runbookhostprobe"]),
        new("-script|kill", "SCRIPT KILL stops another tenant's running script", ["SCRIPT", "KILL"]),
        new("-script|debug", "SCRIPT DEBUG SYNC blocks the whole server", ["SCRIPT", "DEBUG", "NO"]),
        new("-pubsub", "PUBSUB CHANNELS/NUMSUB/NUMPAT/SHARDCHANNELS list and count every tenant's channels", ["PUBSUB", "CHANNELS"]),
        new("-memory +memory|usage", "MEMORY STATS/DOCTOR/MALLOC-STATS/PURGE are server-wide; MEMORY USAGE names a key and stays allowed", ["MEMORY", "STATS"]),
        new("-cluster", "CLUSTER GETKEYSINSLOT/COUNTKEYSINSLOT list and count every tenant's keys in cluster mode", ["CLUSTER", "COUNTKEYSINSLOT", "0"]),
    ];

    /// <summary>
    /// Arguments of <c>ACL SETUSER</c> (after the user name) for <paramref name="tenant"/>:
    /// <c>reset on #&lt;sha256(password)&gt; ~tenant:&lt;id&gt;:* &amp;tenant:&lt;id&gt;:* +@all</c> then <see cref="DenyRules"/>.
    /// <c>reset</c> first so re-provisioning replaces the rules instead of appending to them.
    /// The password goes as its SHA-256 (<c>#hash</c>), so the plaintext never reaches the server.
    /// </summary>
    public static IReadOnlyList<string> SetUserArguments(TenantId tenant, string passwordSha256Hex)
    {
        var args = new List<string>
        {
            "reset", "on", "#" + passwordSha256Hex,
            "~" + TenantStoreNames.RedisKeyPattern(tenant),
            "&" + TenantStoreNames.RedisKeyPattern(tenant),
            "+@all",
        };
        foreach (var rule in DenyRules)
            args.AddRange(rule.Rule.Split(' '));
        return args;
    }

    /// <summary>Probe arguments with the other tenant's id filled in.</summary>
    internal static string[] ProbeFor(RedisAclRule rule, TenantId other) =>
        rule.Probe!.Select(a => a.Replace(OtherPrefix, other.Value, StringComparison.Ordinal)).ToArray();

    /// <summary>Short name of a rule for check names: "-script|flush" → "script_flush".</summary>
    internal static string CheckName(RedisAclRule rule) =>
        rule.Rule.Split(' ')[0].TrimStart('-', '+', '@').Replace('|', '_').Replace('@', '_');
}
