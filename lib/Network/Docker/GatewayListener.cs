using System.Net;
using System.Net.Sockets;

namespace RunbookHost.Network.Docker;

/// <summary>
/// The only listener a no-route-out probe is allowed to aim at: TCP and UDP sockets this process opens on the tenant
/// bridge's own address (the Docker host's side of the tenant network), counting what arrives from the tenant's range.
/// Nothing outside this host is ever contacted. Binding fails when the engine is not on this host: then the probe
/// cannot be run here, and the check says so (incomplete), never "passed".
/// </summary>
internal sealed class GatewayListener : IAsyncDisposable
{
    private readonly TcpListener tcp;
    private readonly UdpClient udp;
    private readonly IPNetwork from;
    private readonly CancellationTokenSource stop = new();
    private readonly Task tcpLoop;
    private readonly Task udpLoop;
    private int tcpAccepted;
    private int udpReceived;

    private GatewayListener(IPAddress address, IPNetwork from)
    {
        this.from = from;
        tcp = new TcpListener(address, 0);
        tcp.Start();
        udp = new UdpClient(new IPEndPoint(address, 0));
        TcpPort = ((IPEndPoint)tcp.LocalEndpoint).Port;
        UdpPort = ((IPEndPoint)udp.Client.LocalEndPoint!).Port;
        tcpLoop = AcceptAsync();
        udpLoop = ReceiveAsync();
    }

    public int TcpPort { get; }
    public int UdpPort { get; }
    public int TcpAccepted => Volatile.Read(ref tcpAccepted);
    public int UdpReceived => Volatile.Read(ref udpReceived);

    /// <summary>Null with the reason when <paramref name="address"/> is not an address of this host.</summary>
    public static (GatewayListener? Listener, string? WhyNot) TryStart(IPAddress address, IPNetwork from)
    {
        try
        {
            return (new GatewayListener(address, from), null);
        }
        catch (SocketException e)
        {
            return (null, $"cannot listen on the bridge address {address} ({e.SocketErrorCode}): the Docker engine must run on this host for the no-route-out probe");
        }
    }

    private async Task AcceptAsync()
    {
        while (!stop.IsCancellationRequested)
        {
            try
            {
                using var client = await tcp.AcceptTcpClientAsync(stop.Token).ConfigureAwait(false);
                if (client.Client.RemoteEndPoint is IPEndPoint remote && from.Contains(remote.Address))
                    Interlocked.Increment(ref tcpAccepted);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }
        }
    }

    private async Task ReceiveAsync()
    {
        while (!stop.IsCancellationRequested)
        {
            try
            {
                var datagram = await udp.ReceiveAsync(stop.Token).ConfigureAwait(false);
                if (from.Contains(datagram.RemoteEndPoint.Address))
                    Interlocked.Increment(ref udpReceived);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync().ConfigureAwait(false);
        tcp.Stop();
        udp.Dispose();
        await Task.WhenAll(tcpLoop, udpLoop).ConfigureAwait(false);
        stop.Dispose();
    }
}
