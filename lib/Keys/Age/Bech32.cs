namespace RunbookHost.Keys.Age;

/// <summary>BIP-173 Bech32 (not Bech32m) without the 90-character limit, as used by age.</summary>
internal static class Bech32
{
    private const string Charset = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";
    private static readonly uint[] Generator = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3];

    public static string Encode(string hrp, ReadOnlySpan<byte> data)
    {
        var lowerHrp = hrp.ToLowerInvariant();
        var upper = hrp != lowerHrp;
        if (upper && hrp.ToUpperInvariant() != hrp)
        {
            throw new ArgumentException("mixed-case human-readable part", nameof(hrp));
        }

        var values = ConvertBits(data, 8, 5, pad: true) ?? throw new InvalidOperationException("bech32 conversion failed");
        var checksum = CreateChecksum(lowerHrp, values);
        var chars = new char[lowerHrp.Length + 1 + values.Length + checksum.Length];
        lowerHrp.CopyTo(0, chars, 0, lowerHrp.Length);
        var p = lowerHrp.Length;
        chars[p++] = '1';
        foreach (var v in values)
        {
            chars[p++] = Charset[v];
        }

        foreach (var v in checksum)
        {
            chars[p++] = Charset[v];
        }

        Array.Clear(values);
        var result = new string(chars);
        Array.Clear(chars);
        return upper ? result.ToUpperInvariant() : result;
    }

    /// <summary>Decodes; returns false on any error. The returned hrp keeps its original case.</summary>
    public static bool TryDecode(string s, out string hrp, out byte[] data)
    {
        hrp = "";
        data = [];
        foreach (var c in s)
        {
            if (c < 33 || c > 126)
            {
                return false;
            }
        }

        var lower = s.ToLowerInvariant();
        if (lower != s && s.ToUpperInvariant() != s)
        {
            return false;
        }

        var pos = s.LastIndexOf('1');
        if (pos < 1 || pos + 7 > s.Length)
        {
            return false;
        }

        var values = new byte[s.Length - pos - 1];
        for (var i = 0; i < values.Length; i++)
        {
            var idx = Charset.IndexOf(lower[pos + 1 + i]);
            if (idx < 0)
            {
                return false;
            }

            values[i] = (byte)idx;
        }

        var lowerHrp = lower[..pos];
        if (Polymod(lowerHrp, values) != 1)
        {
            Array.Clear(values);
            return false;
        }

        var decoded = ConvertBits(values.AsSpan(0, values.Length - 6), 5, 8, pad: false);
        Array.Clear(values);
        if (decoded is null)
        {
            return false;
        }

        hrp = s[..pos];
        data = decoded;
        return true;
    }

    private static uint Polymod(string lowerHrp, ReadOnlySpan<byte> values)
    {
        uint chk = 1;
        void Step(uint v)
        {
            var b = chk >> 25;
            chk = ((chk & 0x1ffffff) << 5) ^ v;
            for (var i = 0; i < 5; i++)
            {
                if (((b >> i) & 1) != 0)
                {
                    chk ^= Generator[i];
                }
            }
        }

        foreach (var c in lowerHrp)
        {
            Step((uint)c >> 5);
        }

        Step(0);
        foreach (var c in lowerHrp)
        {
            Step((uint)c & 31);
        }

        foreach (var v in values)
        {
            Step(v);
        }

        return chk;
    }

    private static byte[] CreateChecksum(string lowerHrp, ReadOnlySpan<byte> values)
    {
        var extended = new byte[values.Length + 6];
        values.CopyTo(extended);
        var mod = Polymod(lowerHrp, extended) ^ 1;
        Array.Clear(extended);
        var checksum = new byte[6];
        for (var i = 0; i < 6; i++)
        {
            checksum[i] = (byte)((mod >> (5 * (5 - i))) & 31);
        }

        return checksum;
    }

    private static byte[]? ConvertBits(ReadOnlySpan<byte> data, int fromBits, int toBits, bool pad)
    {
        uint acc = 0;
        var bits = 0;
        var maxV = (1u << toBits) - 1;
        var result = new List<byte>(data.Length * fromBits / toBits + 1);
        foreach (var value in data)
        {
            if (value >> fromBits != 0)
            {
                return null;
            }

            acc = (acc << fromBits) | value;
            bits += fromBits;
            while (bits >= toBits)
            {
                bits -= toBits;
                result.Add((byte)((acc >> bits) & maxV));
            }
        }

        if (pad)
        {
            if (bits > 0)
            {
                result.Add((byte)((acc << (toBits - bits)) & maxV));
            }
        }
        else if (bits >= fromBits || ((acc << (toBits - bits)) & maxV) != 0)
        {
            return null;
        }

        var array = result.ToArray();
        CollectionsMarshalClear(result);
        return array;
    }

    private static void CollectionsMarshalClear(List<byte> list)
    {
        System.Runtime.InteropServices.CollectionsMarshal.AsSpan(list).Clear();
    }
}
