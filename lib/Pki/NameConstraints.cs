using System.Formats.Asn1;
using System.Security.Cryptography.X509Certificates;

namespace RunbookHost.Pki;

/// <summary>
/// The X.509 name constraints extension (RFC 5280 §4.2.1.10, OID 2.5.29.30), which .NET has no type for: encoded and
/// decoded with System.Formats.Asn1's AsnWriter/AsnReader. A tenant CA's constraint permits DNS names under
/// <c>.&lt;tenant&gt;.serviceradar</c> only and excludes every IP address, so the CA cannot issue a certificate that
/// another tenant's name, or an address, would accept. Marked critical, as RFC 5280 requires.
/// </summary>
public sealed record NameConstraints(IReadOnlyList<string> PermittedDns, IReadOnlyList<string> ExcludedIpRanges)
{
    public const string Oid = "2.5.29.30";

    private static readonly Asn1Tag Permitted = new(TagClass.ContextSpecific, 0, isConstructed: true);
    private static readonly Asn1Tag Excluded = new(TagClass.ContextSpecific, 1, isConstructed: true);
    private static readonly Asn1Tag DnsName = new(TagClass.ContextSpecific, 2);
    private static readonly Asn1Tag IpAddress = new(TagClass.ContextSpecific, 7);

    /// <summary>Every IPv4 and IPv6 address (address and mask all zero), excluded.</summary>
    public static readonly IReadOnlyList<string> AllAddresses = ["0.0.0.0/0", "::/0"];

    /// <summary>The constraint of <paramref name="dnsSuffix"/>'s CA: DNS names under it, no IP address.</summary>
    public static NameConstraints PermitDnsOnly(string dnsSuffix) => new([dnsSuffix], AllAddresses);

    public X509Extension ToExtension()
    {
        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            using (writer.PushSequence(Permitted))
            {
                foreach (var dns in PermittedDns)
                {
                    using (writer.PushSequence())
                        writer.WriteCharacterString(UniversalTagNumber.IA5String, dns, DnsName);
                }
            }
            using (writer.PushSequence(Excluded))
            {
                foreach (var range in ExcludedIpRanges)
                {
                    using (writer.PushSequence())
                        writer.WriteOctetString(AddressAndMask(range), IpAddress);
                }
            }
        }
        return new X509Extension(Oid, writer.Encode(), critical: true);
    }

    /// <summary>
    /// Decodes the extension; null when it holds anything this class does not write (another name form, a minimum or
    /// maximum), which a verification then reports as "not exactly the tenant's".
    /// </summary>
    public static NameConstraints? TryDecode(X509Extension extension)
    {
        ArgumentNullException.ThrowIfNull(extension);
        try
        {
            var reader = new AsnReader(extension.RawData, AsnEncodingRules.DER);
            var sequence = reader.ReadSequence();
            reader.ThrowIfNotEmpty();
            var permitted = new List<string>();
            var excluded = new List<string>();
            if (sequence.HasData && sequence.PeekTag().HasSameClassAndValue(Permitted))
            {
                var subtrees = sequence.ReadSequence(Permitted);
                while (subtrees.HasData)
                {
                    var subtree = subtrees.ReadSequence();
                    permitted.Add(subtree.ReadCharacterString(UniversalTagNumber.IA5String, DnsName));
                    subtree.ThrowIfNotEmpty();
                }
            }
            if (sequence.HasData && sequence.PeekTag().HasSameClassAndValue(Excluded))
            {
                var subtrees = sequence.ReadSequence(Excluded);
                while (subtrees.HasData)
                {
                    var subtree = subtrees.ReadSequence();
                    excluded.Add(RangeText(subtree.ReadOctetString(IpAddress)));
                    subtree.ThrowIfNotEmpty();
                }
            }
            sequence.ThrowIfNotEmpty();
            return new NameConstraints(permitted, excluded);
        }
        catch (Exception e) when (e is AsnContentException or FormatException)
        {
            return null;
        }
    }

    /// <summary>Same permitted names and excluded ranges, in order.</summary>
    public bool SameAs(NameConstraints other) =>
        other is not null && PermittedDns.SequenceEqual(other.PermittedDns, StringComparer.Ordinal) && ExcludedIpRanges.SequenceEqual(other.ExcludedIpRanges, StringComparer.Ordinal);

    public override string ToString() =>
        $"permitted DNS {string.Join(", ", PermittedDns)}; excluded IP {string.Join(", ", ExcludedIpRanges)}";

    // RFC 5280: an iPAddress subtree is the address followed by the mask (8 octets for IPv4, 32 for IPv6).
    private static byte[] AddressAndMask(string range)
    {
        var parts = range.Split('/');
        var address = System.Net.IPAddress.Parse(parts[0]).GetAddressBytes();
        var prefix = int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture);
        var mask = new byte[address.Length];
        for (var bit = 0; bit < prefix; bit++)
            mask[bit / 8] |= (byte)(0x80 >> (bit % 8));
        return [.. address, .. mask];
    }

    private static string RangeText(byte[] addressAndMask)
    {
        if (addressAndMask.Length is not (8 or 32))
            throw new FormatException("an iPAddress subtree is 8 or 32 octets");
        var half = addressAndMask.Length / 2;
        var address = new System.Net.IPAddress(addressAndMask.AsSpan(0, half));
        var prefix = 0;
        foreach (var b in addressAndMask.AsSpan(half))
            prefix += System.Numerics.BitOperations.PopCount(b);
        return $"{address}/{prefix}";
    }
}
