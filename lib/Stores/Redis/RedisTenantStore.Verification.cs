using RunbookHost.Evidence;
using RunbookHost.Tenants;
using StackExchange.Redis;

namespace RunbookHost.Stores.Redis;

/// <summary>Per-tenant verification: live probes as the tenant's ACL user, each expected to be refused except its own prefix.</summary>
public sealed partial class RedisTenantStore
{
    /// <summary>
    /// Live checks as the tenant (its own password): own_prefix_set_get ALLOWED; cross_tenant_get,
    /// cross_tenant_set, cross_tenant_publish, scan, flushall, config_get, keys DENIED; then one DENIED check
    /// per <see cref="RedisAclPolicy.DenyRules"/> probe. <paramref name="otherTenant"/> only supplies the foreign
    /// prefix; it need not exist.
    /// </summary>
    public async Task<IReadOnlyList<CheckRecord>> VerifyAsync(TenantId tenant, string password, TenantId? otherTenant = null,
        CancellationToken cancellationToken = default)
    {
        var other = otherTenant ?? TenantId.Parse(tenant.Value.Length < TenantId.MaxLength ? tenant.Value + "x" : "x" + tenant.Value[1..]);
        var checks = new List<CheckRecord>();
        await using var conn = await ConnectAsTenantAsync(tenant, password, cancellationToken).ConfigureAwait(false);
        if (conn.Error is not null)
        {
            checks.Add(Expect("tenant_auth", CheckResults.Allowed, CheckResults.Error, conn.Error));
            return checks;
        }
        var db = conn.Multiplexer!.GetDatabase();
        var ownKey = TenantStoreNames.RedisKeyPrefix(tenant) + "runbook-host-probe:" + StorePasswords.Generate(16);
        checks.Add(await OwnPrefixCheckAsync(db, ownKey).ConfigureAwait(false));

        var foreignKey = TenantStoreNames.RedisKeyPrefix(other) + "runbook-host-probe";
        var fixedProbes = new (string Test, string[] Args)[]
        {
            ("cross_tenant_get", ["GET", foreignKey]),
            ("cross_tenant_set", ["SET", foreignKey, "x", "EX", "60", "NX"]),
            ("cross_tenant_publish", ["PUBLISH", TenantStoreNames.RedisKeyPrefix(other) + "runbook-host-probe", "x"]),
            ("scan", ["SCAN", "0", "COUNT", "10"]),
            ("flushall", ["FLUSHALL", "runbookhostprobe"]),
            ("config_get", ["CONFIG", "GET", "maxmemory"]),
            ("keys", ["KEYS", TenantStoreNames.RedisKeyPattern(other)]),
        };
        var probes = fixedProbes.Concat(RedisAclPolicy.DenyRules.Where(r => r.Probe is not null)
            .Select(rule => (Test: "acl_deny_" + RedisAclPolicy.CheckName(rule), Args: RedisAclPolicy.ProbeFor(rule, other))));
        // Sent back to back on the one connection (pipelined, answered in order), not one round trip each.
        checks.AddRange(await Task.WhenAll(probes.Select(p => DeniedCheckAsync(db, p.Test, p.Args))).ConfigureAwait(false));
        return checks;
    }

    /// <summary>
    /// Runs one command as the tenant and says DENIED (NOPERM) or ALLOWED (anything else the server answered).
    /// For tests and ad-hoc probes; the command really runs when allowed, so pass only harmless ones.
    /// </summary>
    public async Task<string> ProbeAsync(TenantId tenant, string password, IReadOnlyList<string> command, CancellationToken cancellationToken = default)
    {
        await using var conn = await ConnectAsTenantAsync(tenant, password, cancellationToken).ConfigureAwait(false);
        if (conn.Error is not null)
            return CheckResults.Error;
        return (await RunProbeAsync(conn.Multiplexer!.GetDatabase(), command).ConfigureAwait(false)).Result;
    }

    private async Task<CheckRecord> OwnPrefixCheckAsync(IDatabase db, string key)
    {
        const string test = "own_prefix_set_get";
        try
        {
            var value = StorePasswords.Generate(16);
            await db.ExecuteAsync("SET", key, value, "EX", "60").ConfigureAwait(false);
            var read = (string?)await db.ExecuteAsync("GET", key).ConfigureAwait(false);
            await db.ExecuteAsync("UNLINK", key).ConfigureAwait(false);
            return read == value
                ? Expect(test, CheckResults.Allowed, CheckResults.Allowed, "SET/GET/UNLINK on the tenant prefix")
                : Expect(test, CheckResults.Allowed, CheckResults.Fail, "read back a different value");
        }
        catch (RedisException e)
        {
            return Expect(test, CheckResults.Allowed, IsNoPerm(e) ? CheckResults.Denied : CheckResults.Error, FirstLine(e.Message));
        }
    }

    private async Task<CheckRecord> DeniedCheckAsync(IDatabase db, string test, string[] args)
    {
        var (result, detail) = await RunProbeAsync(db, args).ConfigureAwait(false);
        return Expect(test, CheckResults.Denied, result, $"{string.Join(' ', args)}: {detail}");
    }

    private static async Task<(string Result, string Detail)> RunProbeAsync(IDatabase db, IReadOnlyList<string> args)
    {
        try
        {
            await db.ExecuteAsync(args[0], args.Skip(1).Cast<object>().ToArray()).ConfigureAwait(false);
            return (CheckResults.Allowed, "answered");
        }
        catch (RedisServerException e) when (IsNoPerm(e))
        {
            return (CheckResults.Denied, FirstLine(e.Message));
        }
        catch (RedisServerException e)
        {
            return (CheckResults.Allowed, "passed the ACL check: " + FirstLine(e.Message));
        }
        catch (RedisException e)
        {
            return (CheckResults.Error, FirstLine(e.Message));
        }
    }

    private static bool IsNoPerm(Exception e) => e.Message.StartsWith("NOPERM", StringComparison.Ordinal);

    private static string FirstLine(string s) => s.Split('\n')[0].Trim();
}
