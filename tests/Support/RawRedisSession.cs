using System.Net;
using System.Net.Sockets;
using System.Text;
using StackExchange.Redis;

namespace RunbookHost.Tests.Support;

/// <summary>
/// One plain RESP connection to the test Redis, authenticated as a given user. Unlike a client library it
/// never reconnects, so a test can tell whether the server closed this very session.
/// </summary>
public sealed class RawRedisSession : IDisposable
{
    private readonly TcpClient _client;
    private readonly NetworkStream _stream;

    private RawRedisSession(TcpClient client)
    {
        _client = client;
        _stream = client.GetStream();
    }

    public static async Task<RawRedisSession> OpenAsync(string user, string password)
    {
        var (host, port) = ConfigurationOptions.Parse(TestServers.Redis).EndPoints.FirstOrDefault() switch
        {
            IPEndPoint ip => (ip.Address.ToString(), ip.Port),
            DnsEndPoint dns => (dns.Host, dns.Port),
            _ => ("127.0.0.1", 6379),
        };
        var client = new TcpClient();
        await client.ConnectAsync(host, port);
        var session = new RawRedisSession(client);
        var reply = await session.SendAsync("AUTH", user, password);
        if (reply != "+OK")
            throw new InvalidOperationException($"AUTH as {user}: {reply}");
        return session;
    }

    /// <summary>"+PONG", or null when the server has closed the session.</summary>
    public Task<string?> PingAsync() => SendAsync("PING");

    private async Task<string?> SendAsync(params string[] command)
    {
        var request = new StringBuilder().Append('*').Append(command.Length).Append("\r\n");
        foreach (var part in command)
            request.Append('$').Append(Encoding.UTF8.GetByteCount(part)).Append("\r\n").Append(part).Append("\r\n");
        try
        {
            await _stream.WriteAsync(Encoding.UTF8.GetBytes(request.ToString()));
            var buffer = new byte[512];
            var read = await _stream.ReadAsync(buffer);
            return read == 0 ? null : Encoding.UTF8.GetString(buffer, 0, read).TrimEnd('\r', '\n');
        }
        catch (IOException)
        {
            return null;
        }
    }

    public void Dispose()
    {
        _stream.Dispose();
        _client.Dispose();
    }
}
