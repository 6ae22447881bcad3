using System.Security.Cryptography;
using RunbookHost.Stores.Qdrant;
using RunbookHost.Tenants;
using RunbookHost.Tests.Stores.Qdrant.StandIn;

namespace RunbookHost.Tests.Stores.Qdrant;

/// <summary>
/// A real Qdrant when RUNBOOKHOST_Qdrant__Endpoint (+ RUNBOOKHOST_Qdrant__ApiKey) is set, the in-process stand-in otherwise.
/// The real server must run with `service.api_key` = that key and `service.jwt_rbac: true`.
/// </summary>
public sealed class QdrantFixture : IAsyncLifetime
{
    private QdrantStandIn? _standIn;

    public string Endpoint { get; private set; } = "";
    public string ApiKey { get; private set; } = "";
    public bool IsRealServer => _standIn is null;

    public async Task InitializeAsync()
    {
        var endpoint = Environment.GetEnvironmentVariable("RUNBOOKHOST_Qdrant__Endpoint");
        if (!string.IsNullOrEmpty(endpoint))
        {
            Endpoint = endpoint;
            ApiKey = Environment.GetEnvironmentVariable("RUNBOOKHOST_Qdrant__ApiKey")
                ?? throw new InvalidOperationException("RUNBOOKHOST_Qdrant__Endpoint is set but RUNBOOKHOST_Qdrant__ApiKey is not");
            return;
        }
        ApiKey = "standin-" + Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
        _standIn = await QdrantStandIn.StartAsync(ApiKey);
        Endpoint = _standIn.Endpoint;
    }

    public async Task DisposeAsync()
    {
        if (_standIn is not null)
            await _standIn.DisposeAsync();
    }

    public QdrantSettings Settings(Action<QdrantSettings>? tweak = null)
    {
        var s = new QdrantSettings { Endpoint = Endpoint, ApiKey = ApiKey };
        tweak?.Invoke(s);
        return s;
    }

    public QdrantTenantStore NewStore(Action<QdrantSettings>? tweak = null, TimeProvider? time = null) => new(Settings(tweak), time);

    /// <summary>"t" + 10 random lowercase letters.</summary>
    public static TenantId RandomTenant() =>
        TenantId.Parse("t" + new string(Enumerable.Range(0, 10).Select(_ => (char)('a' + RandomNumberGenerator.GetInt32(26))).ToArray()));
}

internal sealed class FixedTime(DateTimeOffset now) : TimeProvider
{
    public override DateTimeOffset GetUtcNow() => now;
}
