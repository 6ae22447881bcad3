namespace RunbookHost.Keys.Age;

/// <summary>A small buffered reader over a Stream with line reading and peeking.</summary>
internal sealed class BufferedInput(Stream source)
{
    private readonly byte[] buffer = new byte[64 * 1024];
    private int pos;
    private int len;
    private bool eof;

    private int Available => len - pos;

    /// <summary>Reads a line including its '\n'. At EOF returns the partial line (possibly empty) with newline=false.
    /// Returns null when the line exceeds maxLength.</summary>
    public byte[]? ReadLine(int maxLength, out bool newline)
    {
        var line = new List<byte>();
        while (true)
        {
            var span = buffer.AsSpan(pos, len - pos);
            var idx = span.IndexOf((byte)'\n');
            var take = idx >= 0 ? idx + 1 : span.Length;
            if (line.Count + take > maxLength + 1)
            {
                newline = false;
                return null;
            }

            line.AddRange(span[..take]);
            pos += take;
            if (idx >= 0)
            {
                newline = true;
                return [.. line];
            }

            if (!Fill())
            {
                newline = false;
                return [.. line];
            }
        }
    }

    /// <summary>Reads until dst is full or EOF; returns the count.</summary>
    public int ReadAtMost(Span<byte> dst)
    {
        var total = 0;
        while (total < dst.Length)
        {
            if (Available == 0 && !Fill())
            {
                break;
            }

            var n = Math.Min(Available, dst.Length - total);
            buffer.AsSpan(pos, n).CopyTo(dst[total..]);
            pos += n;
            total += n;
        }

        return total;
    }

    /// <summary>Makes up to count bytes available without consuming them.</summary>
    public ReadOnlySpan<byte> Peek(int count)
    {
        while (Available < count && Fill())
        {
        }

        return buffer.AsSpan(pos, Math.Min(count, Available));
    }

    public bool AtEnd => Peek(1).Length == 0;

    private bool Fill()
    {
        if (eof)
        {
            return false;
        }

        if (pos > 0)
        {
            Buffer.BlockCopy(buffer, pos, buffer, 0, len - pos);
            len -= pos;
            pos = 0;
        }

        if (len == buffer.Length)
        {
            return false;
        }

        var n = source.Read(buffer, len, buffer.Length - len);
        if (n == 0)
        {
            eof = true;
            return false;
        }

        len += n;
        return true;
    }

    /// <summary>Zeroes the internal buffer (it may have held plaintext-adjacent data).</summary>
    public void Clear() => Array.Clear(buffer);
}
