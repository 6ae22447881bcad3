using RunbookHost.Tenants;
using StackExchange.Redis;

namespace RunbookHost.Stores.Redis;

/// <summary>The admin connection (shared, opened once), tenant connections for probes, ACL LIST and SCAN.</summary>
public sealed partial class RedisTenantStore
{
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
                using (RunbookHost.Diagnostics.TimingTrace.Measure("redis: connect admin"))
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
            using var timing = RunbookHost.Diagnostics.TimingTrace.Measure("redis: connect as tenant");
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
}
