namespace RunbookHost.Keys.Age;

/// <summary>
/// RFC 4648 standard-alphabet base64 with strict (canonical) decoding: no whitespace, no stray
/// characters, unused trailing bits must be zero. .NET's Convert is lenient, so this is hand-written.
/// </summary>
internal static class StrictBase64
{
    private const string Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    private static readonly sbyte[] Map = BuildMap();

    private static sbyte[] BuildMap()
    {
        var map = new sbyte[256];
        Array.Fill(map, (sbyte)-1);
        for (var i = 0; i < Alphabet.Length; i++)
        {
            map[Alphabet[i]] = (sbyte)i;
        }

        return map;
    }

    public static string EncodeUnpadded(ReadOnlySpan<byte> data) => Convert.ToBase64String(data).TrimEnd('=');

    /// <summary>Decodes unpadded base64 ("RawStdEncoding.Strict()"); null when not canonical.</summary>
    public static byte[]? DecodeUnpadded(ReadOnlySpan<byte> text)
    {
        if (text.Length % 4 == 1)
        {
            return null;
        }

        var output = new byte[text.Length * 3 / 4];
        var o = 0;
        var i = 0;
        for (; i + 4 <= text.Length; i += 4)
        {
            int a = Map[text[i]], b = Map[text[i + 1]], c = Map[text[i + 2]], d = Map[text[i + 3]];
            if ((a | b | c | d) < 0)
            {
                return Fail(output);
            }

            var v = (a << 18) | (b << 12) | (c << 6) | d;
            output[o++] = (byte)(v >> 16);
            output[o++] = (byte)(v >> 8);
            output[o++] = (byte)v;
        }

        var rest = text.Length - i;
        if (rest == 2)
        {
            int a = Map[text[i]], b = Map[text[i + 1]];
            if ((a | b) < 0 || (b & 0x0f) != 0)
            {
                return Fail(output);
            }

            output[o++] = (byte)((a << 2) | (b >> 4));
        }
        else if (rest == 3)
        {
            int a = Map[text[i]], b = Map[text[i + 1]], c = Map[text[i + 2]];
            if ((a | b | c) < 0 || (c & 0x03) != 0)
            {
                return Fail(output);
            }

            var v = (a << 12) | (b << 6) | c;
            output[o++] = (byte)(v >> 10);
            output[o++] = (byte)(v >> 2);
        }

        return o == output.Length ? output : output[..o];
    }

    /// <summary>Decodes padded base64 ("StdEncoding.Strict()"); null when not canonical.</summary>
    public static byte[]? DecodePadded(ReadOnlySpan<byte> text)
    {
        if (text.Length % 4 != 0)
        {
            return null;
        }

        var pads = 0;
        if (text.Length > 0 && text[^1] == (byte)'=')
        {
            pads = text.Length > 1 && text[^2] == (byte)'=' ? 2 : 1;
        }

        return DecodeUnpadded(text[..^pads]);
    }

    private static byte[]? Fail(byte[] output)
    {
        Array.Clear(output);
        return null;
    }
}
