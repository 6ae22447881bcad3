using System.Net.Http.Json;
using System.Text.Json.Serialization;

namespace RunbookHost.Nats;

/// <summary>
/// nats-server's monitoring endpoint (loopback HTTP): <c>/varz</c> for the version and <c>config_load_time</c>, the
/// moment the running configuration was last loaded (nats-server sets it only when a reload succeeded, server/reload.go),
/// and <c>/accountz</c> for the accounts the server has.
/// </summary>
public sealed class NatsMonitor(Uri monitorUrl, HttpMessageHandler? handler = null) : IDisposable
{
    private readonly HttpClient http = new(handler ?? new SocketsHttpHandler(), disposeHandler: true)
    {
        BaseAddress = monitorUrl,
        Timeout = TimeSpan.FromSeconds(5),
    };

    public Uri Url => monitorUrl;

    public async Task<NatsVarz> VarzAsync(CancellationToken cancellationToken) =>
        await http.GetFromJsonAsync<NatsVarz>("varz", cancellationToken)
        ?? throw new HttpRequestException("nats-server's /varz answered null");

    /// <summary>The accounts the configuration defines, without nats-server's own ($SYS, the global $G).</summary>
    public async Task<IReadOnlyList<string>> AccountsAsync(CancellationToken cancellationToken)
    {
        var accountz = await http.GetFromJsonAsync<NatsAccountz>("accountz", cancellationToken)
            ?? throw new HttpRequestException("nats-server's /accountz answered null");
        return (accountz.Accounts ?? []).Where(a => a != accountz.SystemAccount && !a.StartsWith('$')).Order(StringComparer.Ordinal).ToList();
    }

    public void Dispose() => http.Dispose();
}

public sealed record NatsVarz(
    [property: JsonPropertyName("server_id")] string ServerId,
    [property: JsonPropertyName("version")] string Version,
    [property: JsonPropertyName("config_load_time")] DateTimeOffset ConfigLoadTime,
    [property: JsonPropertyName("connections")] int Connections);

public sealed record NatsAccountz(
    [property: JsonPropertyName("system_account")] string? SystemAccount,
    [property: JsonPropertyName("accounts")] IReadOnlyList<string>? Accounts);
