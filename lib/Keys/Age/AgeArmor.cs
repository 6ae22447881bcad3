namespace RunbookHost.Keys.Age;

/// <summary>
/// Strict ASCII armor (PEM type "AGE ENCRYPTED FILE"): 64-column lines of canonical padded base64,
/// only the last line shorter, LF or CRLF line endings, up to 1 KiB of whitespace before and after.
/// </summary>
internal static class AgeArmor
{
    public const string Header = "-----BEGIN AGE ENCRYPTED FILE-----";
    public const string Footer = "-----END AGE ENCRYPTED FILE-----";
    public const int MaxWhitespace = 1024;

    public static bool IsWhitespace(byte b) => b is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\r' or 0x0b or 0x0c;

    /// <summary>True when the input, after optional leading whitespace, starts like a PEM block.</summary>
    public static bool LooksArmored(BufferedInput input)
    {
        var head = input.Peek(MaxWhitespace + 64);
        var i = 0;
        while (i < head.Length && IsWhitespace(head[i]))
        {
            i++;
        }

        return head[i..].StartsWith("-----"u8);
    }

    public static AgeException Fail(string reason) => new(AgeErrorKind.ArmorFailure, "invalid armor: " + reason);
}

/// <summary>Decodes armor on the fly; throws <see cref="AgeException"/> (ArmorFailure) on any deviation.</summary>
internal sealed class ArmorReadStream(BufferedInput input) : Stream
{
    private const int MaxLine = 1024;
    private byte[] pending = [];
    private int pendingPos;
    private bool started;
    private bool done;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        while (pendingPos == pending.Length)
        {
            if (done || buffer.Length == 0)
            {
                return 0;
            }

            NextLine();
        }

        var n = Math.Min(buffer.Length, pending.Length - pendingPos);
        pending.AsSpan(pendingPos, n).CopyTo(buffer);
        pendingPos += n;
        return n;
    }

    private byte[] GetLine()
    {
        var line = input.ReadLine(MaxLine, out var newline) ?? throw AgeArmor.Fail("line too long");
        if (!newline && line.Length == 0)
        {
            throw AgeArmor.Fail("unexpected end of input");
        }

        var end = line.Length;
        if (end > 0 && line[end - 1] == '\n')
        {
            end--;
        }

        if (end > 0 && line[end - 1] == '\r')
        {
            end--;
        }

        return line[..end];
    }

    private void NextLine()
    {
        var removed = 0;
        while (!started)
        {
            var line = GetLine();
            if (line.All(AgeArmor.IsWhitespace))
            {
                removed += line.Length + 1;
                if (removed > AgeArmor.MaxWhitespace)
                {
                    throw AgeArmor.Fail("too much leading whitespace");
                }

                continue;
            }

            if (!line.AsSpan().SequenceEqual(System.Text.Encoding.ASCII.GetBytes(AgeArmor.Header)))
            {
                throw AgeArmor.Fail("first line is not " + AgeArmor.Header);
            }

            started = true;
        }

        var current = GetLine();
        if (IsFooter(current))
        {
            DrainTrailing();
            return;
        }

        if (current.Length > AgeHeader.ColumnsPerLine)
        {
            throw AgeArmor.Fail("line longer than 64 columns");
        }

        if (current.Length == 0)
        {
            throw AgeArmor.Fail("empty line");
        }

        var decoded = StrictBase64.DecodePadded(current) ?? throw AgeArmor.Fail("line is not canonical base64");
        if (decoded.Length < AgeHeader.BytesPerLine)
        {
            if (!IsFooter(GetLine()))
            {
                throw AgeArmor.Fail("short line not followed by the closing line");
            }

            DrainTrailing();
        }

        pending = decoded;
        pendingPos = 0;
    }

    private static bool IsFooter(byte[] line) => line.AsSpan().SequenceEqual(System.Text.Encoding.ASCII.GetBytes(AgeArmor.Footer));

    private void DrainTrailing()
    {
        var rest = new byte[AgeArmor.MaxWhitespace];
        var n = input.ReadAtMost(rest);
        if (!rest.AsSpan(0, n).ToArray().All(AgeArmor.IsWhitespace))
        {
            throw AgeArmor.Fail("trailing data after the closing line");
        }

        if (n == AgeArmor.MaxWhitespace)
        {
            throw AgeArmor.Fail("too much trailing whitespace");
        }

        done = true;
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}

/// <summary>Encodes to armor; call <see cref="Finish"/> to write the last line and the footer.</summary>
internal sealed class ArmorWriter(Stream output)
{
    private readonly byte[] carry = new byte[AgeHeader.BytesPerLine];
    private int carryLength;
    private bool started;

    public void Write(ReadOnlySpan<byte> data)
    {
        Start();
        while (data.Length > 0)
        {
            var n = Math.Min(data.Length, carry.Length - carryLength);
            data[..n].CopyTo(carry.AsSpan(carryLength));
            carryLength += n;
            data = data[n..];
            if (carryLength == carry.Length)
            {
                WriteLine();
            }
        }
    }

    public void Finish()
    {
        Start();
        if (carryLength > 0)
        {
            WriteLine();
        }

        output.Write(System.Text.Encoding.ASCII.GetBytes(AgeArmor.Footer + "\n"));
        Array.Clear(carry);
    }

    private void Start()
    {
        if (!started)
        {
            output.Write(System.Text.Encoding.ASCII.GetBytes(AgeArmor.Header + "\n"));
            started = true;
        }
    }

    private void WriteLine()
    {
        output.Write(System.Text.Encoding.ASCII.GetBytes(Convert.ToBase64String(carry, 0, carryLength) + "\n"));
        carryLength = 0;
    }
}
