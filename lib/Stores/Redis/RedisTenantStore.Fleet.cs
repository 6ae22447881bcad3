using RunbookHost.Evidence;
using RunbookHost.Tenants;
using StackExchange.Redis;

namespace RunbookHost.Stores.Redis;

/// <summary>Fleet-wide proof from ACL LIST and ACL DRYRUN (nothing executes).</summary>
public sealed partial class RedisTenantStore
{
    /// <summary>
    /// Fleet-wide proof from ACL LIST plus ACL DRYRUN (nothing executes): every <c>tenant_*_user</c> has only its
    /// own key and channel pattern, no selectors, a password, and every probe of <see cref="RedisAclPolicy.DenyRules"/>,
    /// FLUSHALL, CONFIG GET and a foreign key read is refused. The <c>default</c> user must be off or password-protected.
    /// <paramref name="onlyTenants"/> limits which tenant users are examined.
    /// </summary>
    public async Task<RedisFleetReport> VerifyFleetAsync(IReadOnlyCollection<TenantId>? onlyTenants = null, CancellationToken cancellationToken = default)
    {
        var lines = await AclListAsync(cancellationToken).ConfigureAwait(false);
        var scope = onlyTenants?.Select(t => t.Value).ToHashSet(StringComparer.Ordinal);
        var violations = new List<RedisAclViolation>();
        var users = 0;
        var server = (await ServersAsync(cancellationToken).ConfigureAwait(false))[0];
        var dryRuns = new List<Task<List<RedisAclViolation>>>();
        async Task DrainAsync()
        {
            foreach (var dryRun in dryRuns)
                violations.AddRange(await dryRun.ConfigureAwait(false));
            dryRuns.Clear();
        }
        foreach (var line in lines)
        {
            var tokens = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (tokens.Length < 2 || tokens[0] != "user")
                continue;
            var name = tokens[1];
            if (name == "default")
            {
                violations.AddRange(CheckDefaultUserLine(tokens));
                continue;
            }
            var tenant = TenantStoreNames.TenantOfUser(name);
            if (tenant is null || (scope is not null && !scope.Contains(tenant.Value)))
                continue;
            users++;
            violations.AddRange(CheckUserLine(name, tenant, tokens));
            // The dry runs of a batch of users are in flight together: one pipeline on the admin connection instead
            // of a round trip per probe (a 1,000-tenant fleet has ~20,000 of them). Results are collected in order.
            dryRuns.Add(DryRunDeniesAsync(server, name, tenant));
            if (dryRuns.Count >= DryRunBatch)
                await DrainAsync().ConfigureAwait(false);
        }
        await DrainAsync().ConfigureAwait(false);
        return new RedisFleetReport(users, violations) { CheckedAt = _time.GetUtcNow() };
    }

    /// <summary>The default user must be off, or at least not passwordless (then every unauthenticated client is it).</summary>
    internal static IEnumerable<RedisAclViolation> CheckDefaultUserLine(string[] tokens)
    {
        if (tokens.Contains("on") && tokens.Contains("nopass"))
            yield return new RedisAclViolation("default", "the default user is on without a password: unauthenticated clients bypass every tenant ACL");
    }

    internal static IEnumerable<RedisAclViolation> CheckUserLine(string user, TenantId tenant, string[] tokens)
    {
        var pattern = TenantStoreNames.RedisKeyPattern(tenant);
        var keyPatterns = 0;
        foreach (var t in tokens.Skip(2))
        {
            if (t is "allkeys" or "allchannels" or "nopass")
                yield return new RedisAclViolation(user, $"has '{t}'");
            else if (t.StartsWith('('))
                yield return new RedisAclViolation(user, "has an ACL selector (extra permission set)");
            else if (t.StartsWith('~') || t.StartsWith("%", StringComparison.Ordinal))
            {
                keyPatterns++;
                var p = t[(t.IndexOf('~') + 1)..];
                if (p != pattern)
                    yield return new RedisAclViolation(user, $"key pattern '{t}' is not '~{pattern}'");
            }
            else if (t.StartsWith('&') && t[1..] != pattern)
                yield return new RedisAclViolation(user, $"channel pattern '{t}' is not '&{pattern}'");
        }
        if (keyPatterns == 0)
            yield return new RedisAclViolation(user, "has no key pattern");
    }

    private static async Task<List<RedisAclViolation>> DryRunDeniesAsync(IServer server, string user, TenantId tenant)
    {
        var other = TenantId.Parse(tenant.Value.Length < TenantId.MaxLength ? tenant.Value + "x" : "x" + tenant.Value[1..]);
        var probes = new List<string[]>
        {
            new[] { "GET", TenantStoreNames.RedisKeyPrefix(other) + "probe" },
            new[] { "FLUSHALL" },
            new[] { "CONFIG", "GET", "maxmemory" },
        };
        probes.AddRange(RedisAclPolicy.DenyRules.Where(r => r.Probe is not null).Select(r => RedisAclPolicy.ProbeFor(r, other)));
        // Sent together (pipelined), read in order.
        var answers = probes.Select(probe => DryRunAsync(server, user, probe)).ToList();
        var found = new List<RedisAclViolation>();
        for (var i = 0; i < probes.Count; i++)
        {
            var (answer, userGone) = await answers[i].ConfigureAwait(false);
            if (userGone)
                break; // deleted while we looked
            if (answer == "OK")
                found.Add(new RedisAclViolation(user, $"may run: {string.Join(' ', probes[i])}"));
        }
        return found;
    }

    private const int DryRunBatch = 64;

    private static async Task<(string? Answer, bool UserGone)> DryRunAsync(IServer server, string user, string[] probe)
    {
        var args = new List<object> { "DRYRUN", user };
        args.AddRange(probe);
        try
        {
            return ((string?)await server.ExecuteAsync(null, "ACL", args, CommandFlags.None).ConfigureAwait(false), false);
        }
        catch (RedisServerException e) when (e.Message.Contains("User", StringComparison.OrdinalIgnoreCase) && e.Message.Contains("not found", StringComparison.OrdinalIgnoreCase))
        {
            return (null, true);
        }
    }
}

public sealed record RedisAclViolation(string User, string Problem);

/// <summary>Fleet-wide ACL proof: tenant users examined and what is wrong.</summary>
public sealed record RedisFleetReport(int UsersChecked, IReadOnlyList<RedisAclViolation> Violations)
{
    public bool Pass => Violations.Count == 0;

    /// <summary>When the ACLs were read (the store's clock).</summary>
    public DateTimeOffset CheckedAt { get; init; }

    public CheckRecord ToCheck() => new(RedisTenantStore.StoreName, "fleet_acl_patterns", Pass ? CheckResults.Pass : CheckResults.Fail,
        CheckedAt, Pass,
        $"{UsersChecked} tenant users checked" + (Pass ? "" : "; " + string.Join("; ", Violations.Select(v => $"{v.User}: {v.Problem}"))));
}
