using System.Security.Cryptography;
using System.Text;

namespace RunbookHost.Keys.Age;

/// <summary>The textual age header: strict parsing and canonical writing.</summary>
internal sealed class AgeHeader
{
    public const int ColumnsPerLine = 64;
    public const int BytesPerLine = ColumnsPerLine / 4 * 3;
    private const string Intro = "age-encryption.org/v1\n";
    private const int MaxLineLength = 64 * 1024;
    private const int MaxHeaderSize = 16 * 1024 * 1024;

    private AgeHeader(List<AgeStanza> stanzas, byte[] macInput, byte[] mac)
    {
        Stanzas = stanzas;
        MacInput = macInput;
        Mac = mac;
    }

    public IReadOnlyList<AgeStanza> Stanzas { get; }

    /// <summary>The header bytes up to and including "---", as read.</summary>
    public byte[] MacInput { get; }

    public byte[] Mac { get; }

    public static AgeHeader Parse(BufferedInput input)
    {
        var raw = new List<byte>();
        byte[] NextLine()
        {
            var line = input.ReadLine(MaxLineLength, out var newline);
            if (line is null || !newline)
            {
                throw Fail(line is null ? "line too long" : "unexpected end of header");
            }

            raw.AddRange(line);
            if (raw.Count > MaxHeaderSize)
            {
                throw Fail("header too large");
            }

            return line;
        }

        if (!NextLine().AsSpan().SequenceEqual(Encoding.ASCII.GetBytes(Intro)))
        {
            throw Fail("missing or unsupported version line (expected age-encryption.org/v1)");
        }

        var stanzas = new List<AgeStanza>();
        while (true)
        {
            var lineStart = raw.Count;
            var line = NextLine();
            var text = line.AsSpan(0, line.Length - 1);
            if (text.StartsWith("---"u8))
            {
                var parts = Split(text);
                if (parts.Length != 2 || parts[0] != "---")
                {
                    throw Fail("malformed closing line");
                }

                var mac = StrictBase64.DecodeUnpadded(Encoding.ASCII.GetBytes(parts[1]));
                if (mac is null || mac.Length != 32)
                {
                    throw Fail("malformed header MAC");
                }

                var macInput = raw.GetRange(0, lineStart + 3).ToArray();
                return new AgeHeader(stanzas, macInput, mac);
            }

            if (!text.StartsWith("->"u8))
            {
                throw Fail("unexpected line");
            }

            foreach (var b in text)
            {
                if (b < 32 || b > 126)
                {
                    throw Fail("invalid character in stanza opening line");
                }
            }

            var args = Split(text);
            if (args[0] != "->" || args.Length < 2)
            {
                throw Fail("malformed stanza opening line");
            }

            foreach (var arg in args.AsSpan(1))
            {
                if (arg.Length == 0)
                {
                    throw Fail("malformed stanza argument");
                }
            }

            var body = new List<byte>();
            while (true)
            {
                var bodyLine = NextLine();
                var chars = bodyLine.AsSpan(0, bodyLine.Length - 1);
                if (chars.Length > ColumnsPerLine)
                {
                    throw Fail("stanza body line too long");
                }

                var decoded = StrictBase64.DecodeUnpadded(chars) ?? throw Fail("stanza body is not canonical unpadded base64");
                body.AddRange(decoded);
                if (decoded.Length < BytesPerLine)
                {
                    break;
                }
            }

            stanzas.Add(new AgeStanza(args[1], args[2..], [.. body]));
        }
    }

    /// <summary>Writes the header for the given stanzas and returns it, MAC included.</summary>
    public static byte[] Write(IReadOnlyList<AgeStanza> stanzas, ReadOnlySpan<byte> fileKey)
    {
        var sb = new StringBuilder(Intro);
        foreach (var stanza in stanzas)
        {
            sb.Append("-> ").Append(stanza.Type);
            foreach (var arg in stanza.Args)
            {
                sb.Append(' ').Append(arg);
            }

            sb.Append('\n');
            var b64 = StrictBase64.EncodeUnpadded(stanza.Body);
            for (var i = 0; ; i += ColumnsPerLine)
            {
                var n = Math.Min(ColumnsPerLine, b64.Length - i);
                sb.Append(b64, i, n).Append('\n');
                if (n < ColumnsPerLine)
                {
                    break;
                }
            }
        }

        sb.Append("---");
        var macInput = Encoding.ASCII.GetBytes(sb.ToString());
        var mac = ComputeMac(fileKey, macInput);
        sb.Append(' ').Append(StrictBase64.EncodeUnpadded(mac)).Append('\n');
        return Encoding.ASCII.GetBytes(sb.ToString());
    }

    public static byte[] ComputeMac(ReadOnlySpan<byte> fileKey, ReadOnlySpan<byte> macInput)
    {
        var key = AgeCrypto.Hkdf(fileKey, [], "header");
        try
        {
            return HMACSHA256.HashData(key, macInput);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }
    }

    public bool VerifyMac(ReadOnlySpan<byte> fileKey) =>
        CryptographicOperations.FixedTimeEquals(ComputeMac(fileKey, MacInput), Mac);

    private static string[] Split(ReadOnlySpan<byte> text) => Encoding.ASCII.GetString(text).Split(' ');

    private static AgeException Fail(string reason) => new(AgeErrorKind.HeaderFailure, "invalid age header: " + reason);
}
