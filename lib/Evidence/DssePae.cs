using System.Globalization;
using System.Text;

namespace RunbookHost.Evidence;

/// <summary>
/// DSSE v1 pre-authentication encoding: the exact bytes that are signed.
/// PAE(type, body) = "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body, lengths being the ASCII
/// decimal byte counts of the UTF-8 type and of the raw (not base64) body.
/// </summary>
public static class DssePae
{
    public static byte[] Encode(string payloadType, ReadOnlySpan<byte> payload)
    {
        ArgumentNullException.ThrowIfNull(payloadType);
        var type = Encoding.UTF8.GetBytes(payloadType);
        var header = Encoding.ASCII.GetBytes(string.Create(
            CultureInfo.InvariantCulture, $"DSSEv1 {type.Length} "));
        var middle = Encoding.ASCII.GetBytes(string.Create(
            CultureInfo.InvariantCulture, $" {payload.Length} "));
        var pae = new byte[header.Length + type.Length + middle.Length + payload.Length];
        var span = pae.AsSpan();
        header.CopyTo(span);
        span = span[header.Length..];
        type.CopyTo(span);
        span = span[type.Length..];
        middle.CopyTo(span);
        span = span[middle.Length..];
        payload.CopyTo(span);
        return pae;
    }
}
