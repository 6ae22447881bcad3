using RunbookHost.Nats;

namespace RunbookHost.Cli.Commands;

/// <summary>
/// doctor's NATS line: the server answers on Nats:Url with TLS and client certificates required, its version, the
/// configuration file the host writes, and how many accounts the server has loaded (from the loopback monitor).
/// </summary>
internal static class DoctorNats
{
    public static async Task<(string, bool, string)> CheckAsync(NatsSettings nats, CancellationToken cancellationToken)
    {
        const string name = "nats";
        if (!nats.IsConfigured)
            return (name, true, "not configured (RUNBOOKHOST_Nats__Url): its steps are skipped, and its checks incomplete for tenants that have it");
        var url = new Uri(nats.Url);
        NatsServerInfo info;
        try { info = await NatsServerInfo.ReadAsync(url.Host, url.Port, TimeSpan.FromSeconds(5), cancellationToken); }
        catch (Exception error) when (error is IOException or System.Net.Sockets.SocketException or OperationCanceledException or System.Text.Json.JsonException)
        {
            return (name, false, $"{nats.Url} unreachable: {error.Message.Split('\n')[0]}");
        }
        if (!info.TlsRequired || !info.TlsVerify)
            return (name, false, $"{nats.Url} nats-server {info.Version} does not require TLS with client certificates (tls_required {info.TlsRequired}, tls_verify {info.TlsVerify})");
        var config = nats.ConfigFile.Length == 0 ? "no Nats__ConfigFile"
            : File.Exists(nats.ConfigFile) ? $"config {nats.ConfigFile}" : $"config {nats.ConfigFile} missing";
        try
        {
            using var monitor = new NatsMonitor(new Uri(nats.MonitorUrl));
            var varz = await monitor.VarzAsync(cancellationToken);
            var accounts = await monitor.AccountsAsync(cancellationToken);
            var ok = nats.ConfigFile.Length > 0 && File.Exists(nats.ConfigFile);
            return (name, ok, $"{nats.Url} nats-server {info.Version}, TLS with client certificates, {config} (loaded {varz.ConfigLoadTime:u}), {accounts.Count} accounts");
        }
        catch (Exception error) when (error is HttpRequestException or TaskCanceledException or System.Text.Json.JsonException)
        {
            return (name, false, $"{nats.Url} nats-server {info.Version}, TLS with client certificates, {config}; monitor {nats.MonitorUrl} unreachable (a reload could not be confirmed)");
        }
    }
}
