using System.Security.Cryptography;
using System.Text;
using RunbookHost.Configuration;
using RunbookHost.Evidence;
using RunbookHost.Tenants;
using StackExchange.Redis;

namespace RunbookHost.Stores.Redis;

/// <summary>
/// Per-tenant Redis isolation: ACL user <c>tenant_{id}_user</c> limited to keys and channels
/// <c>tenant:{id}:*</c>, with the cross-prefix commands of <see cref="RedisAclPolicy.DenyRules"/> denied.
/// Uses one admin connection (the configured admin user); dispose the store to close it.
/// </summary>
public sealed class RedisTenantStore : IPasswordTenantStore, IAsyncDisposable
{
    public const string StoreName = "redis";
    private const int ScanBatch = 500;

    private readonly ConfigurationOptions _admin;
    private readonly bool _aclSave;
    private readonly SemaphoreSlim _connectGate = new(1, 1);
    private ConnectionMultiplexer? _mux;

    public RedisTenantStore(string configuration, bool aclSave = false)
    {
        if (string.IsNullOrWhiteSpace(configuration))
            throw new ArgumentException("Redis configuration is empty (Redis:Configuration)", nameof(configuration));
        _admin = ConfigurationOptions.Parse(configuration);
        _admin.AllowAdmin = true;
        _aclSave = aclSave;
    }

    public RedisTenantStore(RedisSettings settings) : this(settings.Configuration, settings.AclSave)
    {
    }

    // ---------------------------------------------------------------- provision

    /// <summary>
    /// ACL SETUSER (reset first, so rules are replaced, never appended) on every node, then ACL SAVE
    /// when configured. Building the plan does not connect.
    /// </summary>
    public StorePlan PlanProvision(TenantId tenant, string password)
    {
        ArgumentException.ThrowIfNullOrEmpty(password);
        var user = TenantStoreNames.RedisUser(tenant);
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(password)));
        var args = RedisAclPolicy.SetUserArguments(tenant, hash);
        var shown = string.Join(' ', args.Select(a => a.StartsWith('#') ? "#***" : a));
        var steps = new List<PlanStep>
        {
            new(StoreName, "acl-setuser", $"ACL SETUSER {user} {shown}",
                async ct =>
                {
                    var all = new List<object> { "SETUSER", user };
                    all.AddRange(args);
                    foreach (var server in await ServersAsync(ct).ConfigureAwait(false))
                        await server.ExecuteAsync(null, "ACL", all, CommandFlags.None).ConfigureAwait(false);
                }),
        };
        if (_aclSave)
            steps.Add(AclSaveStep());
        return new StorePlan(StoreName, "provision", tenant, steps);
    }

    public Task ProvisionAsync(TenantId tenant, string password, CancellationToken cancellationToken = default) =>
        PlanProvision(tenant, password).ApplyAsync(cancellationToken);

    // ---------------------------------------------------------------- end sessions

    /// <summary>CLIENT KILL USER on every node: connections authenticated as the tenant user are closed. Building the plan does not connect.</summary>
    public StorePlan PlanEndSessions(TenantId tenant)
    {
        var user = TenantStoreNames.RedisUser(tenant);
        var steps = new List<PlanStep>
        {
            new(StoreName, "client-kill", $"CLIENT KILL USER {user}",
                async ct =>
                {
                    foreach (var server in await ServersAsync(ct).ConfigureAwait(false))
                    {
                        try
                        {
                            await server.ExecuteAsync(null, "CLIENT", new List<object> { "KILL", "USER", user }, CommandFlags.None).ConfigureAwait(false);
                        }
                        catch (RedisServerException e) when (e.Message.Contains("No such user", StringComparison.OrdinalIgnoreCase))
                        {
                            // no such user on this node: it has no sessions to end
                        }
                    }
                }),
        };
        return new StorePlan(StoreName, "end-sessions", tenant, steps);
    }

    // ---------------------------------------------------------------- deprovision

    /// <summary>
    /// ACL DELUSER first (it disconnects the tenant's clients, so nothing writes behind the scan), then
    /// SCAN MATCH tenant:{id}:* in every database + UNLINK in batches, then ACL SAVE when configured.
    /// Idempotent. Building the plan does not connect.
    /// </summary>
    public StorePlan PlanDeprovision(TenantId tenant)
    {
        var user = TenantStoreNames.RedisUser(tenant);
        var pattern = TenantStoreNames.RedisKeyPattern(tenant);
        var steps = new List<PlanStep>
        {
            new(StoreName, "acl-deluser", $"ACL DELUSER {user}",
                async ct =>
                {
                    foreach (var server in await ServersAsync(ct).ConfigureAwait(false))
                        await server.ExecuteAsync(null, "ACL", new List<object> { "DELUSER", user }, CommandFlags.None).ConfigureAwait(false);
                }),
            new(StoreName, "delete-keys", $"SCAN 0 MATCH {pattern} COUNT {ScanBatch} in every database; UNLINK each batch",
                async ct =>
                {
                    foreach (var server in await ServersAsync(ct).ConfigureAwait(false))
                    {
                        if (server.IsReplica)
                            continue;
                        for (var db = 0; db < server.DatabaseCount; db++)
                        {
                            await foreach (var batch in ScanAsync(server, db, pattern, ct).ConfigureAwait(false))
                                await server.ExecuteAsync(db, "UNLINK", batch.Cast<object>().ToList(), CommandFlags.None).ConfigureAwait(false);
                        }
                    }
                }),
        };
        if (_aclSave)
            steps.Add(AclSaveStep());
        return new StorePlan(StoreName, "deprovision", tenant, steps);
    }

    public Task DeprovisionAsync(TenantId tenant, CancellationToken cancellationToken = default) =>
        PlanDeprovision(tenant).ApplyAsync(cancellationToken);

    private PlanStep AclSaveStep() => new(StoreName, "acl-save", "ACL SAVE",
        async ct =>
        {
            foreach (var server in await ServersAsync(ct).ConfigureAwait(false))
                await server.ExecuteAsync(null, "ACL", new List<object> { "SAVE" }, CommandFlags.None).ConfigureAwait(false);
        });

    // ---------------------------------------------------------------- state

    /// <summary>Whether the ACL user exists and how many keys carry the tenant's prefix (all databases, all primaries).</summary>
    public async Task<RedisTenantState> GetStateAsync(TenantId tenant, CancellationToken cancellationToken = default)
    {
        var line = await GetAclEntryAsync(tenant, cancellationToken).ConfigureAwait(false);
        long keys = 0;
        foreach (var server in await ServersAsync(cancellationToken).ConfigureAwait(false))
        {
            if (server.IsReplica)
                continue;
            for (var db = 0; db < server.DatabaseCount; db++)
            {
                await foreach (var batch in ScanAsync(server, db, TenantStoreNames.RedisKeyPattern(tenant), cancellationToken).ConfigureAwait(false))
                    keys += batch.Count;
            }
        }
        return new RedisTenantState(line is not null, keys);
    }

    /// <summary>The tenant user's line from ACL LIST (rules as the server holds them; the password appears only as its hash), or null.</summary>
    public async Task<string?> GetAclEntryAsync(TenantId tenant, CancellationToken cancellationToken = default)
    {
        var prefix = "user " + TenantStoreNames.RedisUser(tenant) + " ";
        return (await AclListAsync(cancellationToken).ConfigureAwait(false)).FirstOrDefault(l => l.StartsWith(prefix, StringComparison.Ordinal));
    }

    // ---------------------------------------------------------------- verification

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
            checks.Add(Checks.Expect(StoreName, "tenant_auth", CheckResults.Allowed, CheckResults.Error, conn.Error));
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

    private static async Task<CheckRecord> OwnPrefixCheckAsync(IDatabase db, string key)
    {
        const string test = "own_prefix_set_get";
        try
        {
            var value = StorePasswords.Generate(16);
            await db.ExecuteAsync("SET", key, value, "EX", "60").ConfigureAwait(false);
            var read = (string?)await db.ExecuteAsync("GET", key).ConfigureAwait(false);
            await db.ExecuteAsync("UNLINK", key).ConfigureAwait(false);
            return read == value
                ? Checks.Expect(StoreName, test, CheckResults.Allowed, CheckResults.Allowed, "SET/GET/UNLINK on the tenant prefix")
                : Checks.Expect(StoreName, test, CheckResults.Allowed, CheckResults.Fail, "read back a different value");
        }
        catch (RedisException e)
        {
            return Checks.Expect(StoreName, test, CheckResults.Allowed, IsNoPerm(e) ? CheckResults.Denied : CheckResults.Error, FirstLine(e.Message));
        }
    }

    private static async Task<CheckRecord> DeniedCheckAsync(IDatabase db, string test, string[] args)
    {
        var (result, detail) = await RunProbeAsync(db, args).ConfigureAwait(false);
        return Checks.Expect(StoreName, test, CheckResults.Denied, result, $"{string.Join(' ', args)}: {detail}");
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

    // ---------------------------------------------------------------- fleet

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
            violations.AddRange(await DryRunDeniesAsync(server, name, tenant).ConfigureAwait(false));
        }
        return new RedisFleetReport(users, violations);
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
        var found = new List<RedisAclViolation>();
        foreach (var probe in probes)
        {
            var args = new List<object> { "DRYRUN", user };
            args.AddRange(probe);
            string? answer;
            try
            {
                answer = (string?)await server.ExecuteAsync(null, "ACL", args, CommandFlags.None).ConfigureAwait(false);
            }
            catch (RedisServerException e) when (e.Message.Contains("User", StringComparison.OrdinalIgnoreCase) && e.Message.Contains("not found", StringComparison.OrdinalIgnoreCase))
            {
                break; // deleted while we looked
            }
            if (answer == "OK")
                found.Add(new RedisAclViolation(user, $"may run: {string.Join(' ', probe)}"));
        }
        return found;
    }

    // ---------------------------------------------------------------- plumbing

    private async Task<List<string>> AclListAsync(CancellationToken ct)
    {
        var server = (await ServersAsync(ct).ConfigureAwait(false))[0];
        var result = await server.ExecuteAsync(null, "ACL", new List<object> { "LIST" }, CommandFlags.None).ConfigureAwait(false);
        return ((RedisResult[]?)result ?? []).Select(r => (string?)r ?? "").ToList();
    }

    private static async IAsyncEnumerable<List<RedisKey>> ScanAsync(IServer server, int db, string pattern,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        var cursor = "0";
        do
        {
            ct.ThrowIfCancellationRequested();
            var reply = (RedisResult[]?)await server.ExecuteAsync(db, "SCAN",
                new List<object> { cursor, "MATCH", pattern, "COUNT", ScanBatch.ToString(System.Globalization.CultureInfo.InvariantCulture) },
                CommandFlags.None).ConfigureAwait(false) ?? throw new InvalidOperationException("SCAN returned nothing");
            cursor = (string?)reply[0] ?? "0";
            var keys = ((RedisResult[]?)reply[1] ?? []).Select(k => (RedisKey)(string?)k).ToList();
            if (keys.Count > 0)
                yield return keys;
        }
        while (cursor != "0");
    }

    private async Task<IServer[]> ServersAsync(CancellationToken ct)
    {
        var mux = _mux;
        if (mux is null)
        {
            await _connectGate.WaitAsync(ct).ConfigureAwait(false);
            try
            {
                _mux ??= await ConnectionMultiplexer.ConnectAsync(_admin.Clone()).ConfigureAwait(false);
                mux = _mux;
            }
            finally
            {
                _connectGate.Release();
            }
        }
        var servers = mux.GetServers();
        if (servers.Length == 0)
            throw new InvalidOperationException("no Redis server is connected");
        return servers;
    }

    private async Task<TenantConnection> ConnectAsTenantAsync(TenantId tenant, string password, CancellationToken ct)
    {
        var options = _admin.Clone();
        options.User = TenantStoreNames.RedisUser(tenant);
        options.Password = password;
        // Outside the tenant's patterns: the tie-breaker key and the configuration channel would be NOPERM.
        options.TieBreaker = "";
        options.ConfigurationChannel = "";
        // Let the server, not the client library, refuse FLUSHALL/CONFIG: that is what is being proved.
        options.AllowAdmin = true;
        options.AbortOnConnectFail = true;
        options.ClientName = "runbook-host-verify";
        // No second (subscriber) connection: the probes never subscribe, so it would only double the logins.
        options.CommandMap = CommandMap.Create(new HashSet<string> { "SUBSCRIBE" }, available: false);
        ct.ThrowIfCancellationRequested();
        try
        {
            return new TenantConnection(await ConnectionMultiplexer.ConnectAsync(options).ConfigureAwait(false), null);
        }
        catch (RedisConnectionException e)
        {
            return new TenantConnection(null, FirstLine(e.Message));
        }
    }

    private sealed record TenantConnection(ConnectionMultiplexer? Multiplexer, string? Error) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            if (Multiplexer is not null)
                await Multiplexer.DisposeAsync().ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_mux is not null)
            await _mux.DisposeAsync().ConfigureAwait(false);
        _connectGate.Dispose();
    }
}

/// <summary>Whether the tenant's ACL user exists and how many keys carry its prefix.</summary>
public sealed record RedisTenantState(bool UserExists, long KeyCount)
{
    public bool NothingRemains => !UserExists && KeyCount == 0;
}

public sealed record RedisAclViolation(string User, string Problem);

/// <summary>Fleet-wide ACL proof: tenant users examined and what is wrong.</summary>
public sealed record RedisFleetReport(int UsersChecked, IReadOnlyList<RedisAclViolation> Violations)
{
    public bool Pass => Violations.Count == 0;

    public CheckRecord ToCheck() => new(RedisTenantStore.StoreName, "fleet_acl_patterns", Pass ? CheckResults.Pass : CheckResults.Fail,
        DateTimeOffset.UtcNow, Pass,
        $"{UsersChecked} tenant users checked" + (Pass ? "" : "; " + string.Join("; ", Violations.Select(v => $"{v.User}: {v.Problem}"))));
}
