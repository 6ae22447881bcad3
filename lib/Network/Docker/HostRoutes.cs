using System.Globalization;
using System.Net;

namespace RunbookHost.Network.Docker;

/// <summary>
/// The host's IPv4 routes (/proc/net/route). A tenant subnet that overlaps a route the host already uses (its LAN, its
/// DNS resolver, a VPN) would capture that traffic into the tenant's bridge: Docker does not check routes for an
/// explicit subnet, so the provider refuses such a range before creating the network.
/// </summary>
internal static class HostRoutes
{
    public sealed record Route(string Interface, IPNetwork Destination);

    public static IReadOnlyList<Route> Read(string path = "/proc/net/route")
    {
        if (!File.Exists(path))
            return [];
        var routes = new List<Route>();
        foreach (var line in File.ReadLines(path).Skip(1))
        {
            var fields = line.Split(['\t', ' '], StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length < 8
                || !uint.TryParse(fields[1], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var destination)
                || !uint.TryParse(fields[7], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var mask))
                continue;
            var prefix = System.Numerics.BitOperations.PopCount(mask);
            if (prefix == 0)
                continue; // the default route overlaps everything and captures nothing
            var address = new IPAddress(BitConverter.GetBytes(destination)); // the kernel prints it in host (little-endian) order
            routes.Add(new Route(fields[0], new IPNetwork(address, prefix)));
        }
        return routes;
    }

    /// <summary>The first route overlapping <paramref name="range"/> on an interface other than <paramref name="ownBridge"/>.</summary>
    public static Route? Conflict(IPNetwork range, string ownBridge, IReadOnlyList<Route> routes) =>
        routes.FirstOrDefault(r => r.Interface != ownBridge
            && (r.Destination.Contains(range.BaseAddress) || range.Contains(r.Destination.BaseAddress)));
}
