using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace RunbookHost.Nats;

/// <summary>
/// The INFO line nats-server sends in plain text before a client upgrades to TLS: whether TLS and client certificates
/// are required, and the version. Read without a client certificate, so `doctor` can say how the server is set up.
/// </summary>
public sealed record NatsServerInfo(
    [property: JsonPropertyName("version")] string Version,
    [property: JsonPropertyName("tls_required")] bool TlsRequired,
    [property: JsonPropertyName("tls_verify")] bool TlsVerify)
{
    public static async Task<NatsServerInfo> ReadAsync(string host, int port, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cancel.CancelAfter(timeout);
        using var client = new TcpClient();
        await client.ConnectAsync(host, port, cancel.Token);
        var buffer = new byte[8192];
        var length = 0;
        var stream = client.GetStream();
        while (length < buffer.Length && Array.IndexOf(buffer, (byte)'\n', 0, length) < 0)
        {
            var read = await stream.ReadAsync(buffer.AsMemory(length), cancel.Token);
            if (read == 0)
                break;
            length += read;
        }
        var line = Encoding.UTF8.GetString(buffer, 0, length).Split('\n')[0].Trim();
        if (!line.StartsWith("INFO ", StringComparison.Ordinal))
            throw new IOException("the server did not introduce itself with INFO: not a NATS server");
        return JsonSerializer.Deserialize<NatsServerInfo>(line[5..]) ?? throw new IOException("the server's INFO is empty");
    }
}
