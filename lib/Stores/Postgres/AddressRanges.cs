using System.Net;
using System.Net.Sockets;
using System.Numerics;

namespace RunbookHost.Stores.Postgres;

/// <summary>
/// A set of client addresses, IPv4 and IPv6 kept apart (PostgreSQL matches a pg_hba.conf address only against
/// clients of the same family), as sorted disjoint inclusive intervals. Enough set algebra to evaluate
/// pg_hba.conf over every address at once instead of over a few samples.
/// </summary>
internal sealed class AddressRanges
{
    private static readonly BigInteger V4Max = (BigInteger.One << 32) - 1;
    private static readonly BigInteger V6Max = (BigInteger.One << 128) - 1;

    private readonly List<(BigInteger Lo, BigInteger Hi)> _v4;
    private readonly List<(BigInteger Lo, BigInteger Hi)> _v6;

    private AddressRanges(List<(BigInteger, BigInteger)> v4, List<(BigInteger, BigInteger)> v6)
    {
        _v4 = Normalize(v4);
        _v6 = Normalize(v6);
    }

    public static AddressRanges Empty { get; } = new([], []);

    /// <summary>Every IPv4 and IPv6 address.</summary>
    public static AddressRanges All { get; } = new([(0, V4Max)], [(0, V6Max)]);

    /// <summary>127.0.0.0/8 and ::1: only processes on the database server itself connect from there.</summary>
    public static AddressRanges Loopback { get; } = Of(IPNetwork.Parse("127.0.0.0/8")).Union(Of(IPNetwork.Parse("::1/128")));

    public static AddressRanges Of(IPNetwork network)
    {
        var family = network.BaseAddress.AddressFamily;
        var bits = family == AddressFamily.InterNetwork ? 32 : 128;
        var lo = ToNumber(network.BaseAddress);
        var hi = lo + (BigInteger.One << (bits - network.PrefixLength)) - 1;
        return family == AddressFamily.InterNetwork ? new([(lo, hi)], []) : new([], [(lo, hi)]);
    }

    /// <summary>The addresses a pg_hba_file_rules address/netmask pair matches (PostgreSQL's check_ip: same family, masked equality).</summary>
    public static AddressRanges? OfRule(string address, string? netmask)
    {
        if (!IPAddress.TryParse(address, out var ip) || netmask is null || !IPAddress.TryParse(netmask, out var mask)
            || ip.AddressFamily != mask.AddressFamily)
            return null;
        var bits = ip.AddressFamily == AddressFamily.InterNetwork ? 32 : 128;
        var maskNumber = ToNumber(mask);
        var prefix = 0;
        while (prefix < bits && !((maskNumber >> (bits - 1 - prefix)) & 1).IsZero)
            prefix++;
        var contiguous = maskNumber == ((BigInteger.One << bits) - 1) - ((BigInteger.One << (bits - prefix)) - 1);
        if (!contiguous)
            return null; // a non-contiguous mask: not a network the model represents
        var baseAddress = ToNumber(ip) & maskNumber;
        var bytes = baseAddress.ToByteArray(isUnsigned: true, isBigEndian: true);
        var padded = new byte[bits / 8];
        bytes.CopyTo(padded, padded.Length - bytes.Length);
        return Of(new IPNetwork(new IPAddress(padded), prefix));
    }

    public bool IsEmpty => _v4.Count == 0 && _v6.Count == 0;

    public AddressRanges Union(AddressRanges other) => new([.. _v4, .. other._v4], [.. _v6, .. other._v6]);

    public AddressRanges Intersect(AddressRanges other) => new(Intersect(_v4, other._v4), Intersect(_v6, other._v6));

    public AddressRanges Except(AddressRanges other) => Intersect(other.Complement());

    /// <summary>One address of the set, to name in a check's detail; null when empty.</summary>
    public IPAddress? Example() =>
        _v4.Count > 0 ? ToAddress(_v4[0].Lo, 4) : _v6.Count > 0 ? ToAddress(_v6[0].Lo, 16) : null;

    private AddressRanges Complement() => new(Complement(_v4, V4Max), Complement(_v6, V6Max));

    private static List<(BigInteger, BigInteger)> Complement(List<(BigInteger Lo, BigInteger Hi)> set, BigInteger max)
    {
        var result = new List<(BigInteger, BigInteger)>();
        var next = BigInteger.Zero;
        foreach (var (lo, hi) in set)
        {
            if (lo > next)
                result.Add((next, lo - 1));
            next = hi + 1;
        }
        if (next <= max)
            result.Add((next, max));
        return result;
    }

    private static List<(BigInteger, BigInteger)> Intersect(List<(BigInteger Lo, BigInteger Hi)> a, List<(BigInteger Lo, BigInteger Hi)> b)
    {
        var result = new List<(BigInteger, BigInteger)>();
        foreach (var x in a)
        {
            foreach (var y in b)
            {
                var lo = BigInteger.Max(x.Lo, y.Lo);
                var hi = BigInteger.Min(x.Hi, y.Hi);
                if (lo <= hi)
                    result.Add((lo, hi));
            }
        }
        return result;
    }

    private static List<(BigInteger Lo, BigInteger Hi)> Normalize(List<(BigInteger Lo, BigInteger Hi)> ranges)
    {
        var merged = new List<(BigInteger Lo, BigInteger Hi)>();
        foreach (var (lo, hi) in ranges.OrderBy(r => r.Lo))
        {
            if (merged.Count > 0 && lo <= merged[^1].Hi + 1)
                merged[^1] = (merged[^1].Lo, BigInteger.Max(merged[^1].Hi, hi));
            else
                merged.Add((lo, hi));
        }
        return merged;
    }

    private static BigInteger ToNumber(IPAddress address) => new(address.GetAddressBytes(), isUnsigned: true, isBigEndian: true);

    private static IPAddress ToAddress(BigInteger value, int length)
    {
        var bytes = value.ToByteArray(isUnsigned: true, isBigEndian: true);
        var padded = new byte[length];
        bytes.CopyTo(padded, length - bytes.Length);
        return new IPAddress(padded);
    }
}
