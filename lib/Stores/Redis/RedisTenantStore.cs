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
public sealed partial class RedisTenantStore : IPasswordTenantStore, IAsyncDisposable
{
    public const string StoreName = "redis";
    private const int ScanBatch = 500;

    private readonly ConfigurationOptions _admin;
    private readonly bool _aclSave;
    private readonly SemaphoreSlim _connectGate = new(1, 1);
    private readonly TimeProvider _time;
    private ConnectionMultiplexer? _mux;

    public RedisTenantStore(string configuration, bool aclSave = false, TimeProvider? time = null)
    {
        if (string.IsNullOrWhiteSpace(configuration))
            throw new ArgumentException("Redis configuration is empty (Redis:Configuration)", nameof(configuration));
        _admin = ConfigurationOptions.Parse(configuration);
        _admin.AllowAdmin = true;
        _aclSave = aclSave;
        _time = time ?? TimeProvider.System;
    }

    public RedisTenantStore(RedisSettings settings, TimeProvider? time = null) : this(settings.Configuration, settings.AclSave, time)
    {
    }

    private CheckRecord Expect(string test, string expected, string actual, string? detail = null) =>
        Checks.Expect(_time.GetUtcNow(), StoreName, test, expected, actual, detail);

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
