using System.Formats.Asn1;
using System.Security.Cryptography.X509Certificates;
using RunbookHost.Tenants;

namespace RunbookHost.Pki;

/// <summary>The GeneralName forms runbook-host writes into a name constraint (RFC 5280 §4.2.1.6; the value is the context tag).</summary>
public enum NameForm
{
    Email = 1,
    Dns = 2,
    DirectoryName = 4,
    Uri = 6,
    IpAddress = 7,
}

/// <summary>One subtree: a form and its base (IP as <c>address/prefix</c>, a directory name as the hex of its DER, compared exactly).</summary>
public sealed record NameSubtree(NameForm Form, string Base)
{
    public override string ToString() => Form == NameForm.DirectoryName
        ? $"{Form} \"{new X500DistinguishedName(Convert.FromHexString(Base)).Name}\""
        : $"{Form} \"{Base}\"";
}

/// <summary>
/// The X.509 name constraints extension (RFC 5280 §4.2.1.10, OID 2.5.29.30), which .NET has no type for: encoded and
/// decoded with System.Formats.Asn1. Every name form a peer may map to an identity is constrained:
/// <list type="bullet">
/// <item>DNS: only under <c>.&lt;tenant&gt;.serviceradar</c>;</item>
/// <item>directory name (the subject): only under <c>O=serviceradar, OU=&lt;tenant&gt;</c>;</item>
/// <item>e-mail (rfc822Name) and URI: none at all. Two ways, because verifiers differ: Go (nats-server) reads an empty
/// excluded base as "every name", OpenSSL does not but enforces a permitted base, so the only base permitted is the
/// reserved, never-resolving <c>invalid</c> domain (RFC 6761);</item>
/// <item>IP: every IPv4 and IPv6 address excluded.</item>
/// </list>
/// A tenant CA's extension is NOT critical (RFC 5280 says it MUST be): Go's x509 (nats-server) refuses any chain whose
/// critical name constraint holds a form it does not implement, and it does not implement directory names. Go and
/// OpenSSL enforce name constraints whether or not they are critical (docs/spec-deviations.md).
/// </summary>
public sealed record NameConstraints(IReadOnlyList<NameSubtree> Permitted, IReadOnlyList<NameSubtree> Excluded, bool Critical)
{
    public const string Oid = "2.5.29.30";

    /// <summary>The one e-mail/URI host a constrained CA may certify: reserved by RFC 6761, it never resolves and no peer maps it.</summary>
    public const string Nowhere = "invalid";

    private static readonly Asn1Tag PermittedTag = new(TagClass.ContextSpecific, 0, isConstructed: true);
    private static readonly Asn1Tag ExcludedTag = new(TagClass.ContextSpecific, 1, isConstructed: true);

    /// <summary>Every IPv4 and IPv6 address (address and mask all zero), excluded.</summary>
    public static readonly IReadOnlyList<string> AllAddresses = ["0.0.0.0/0", "::/0"];

    /// <summary>The DNS names the constraint permits (for display and tests).</summary>
    public IReadOnlyList<string> PermittedDns => [.. Permitted.Where(s => s.Form == NameForm.Dns).Select(s => s.Base)];

    /// <summary>The address ranges the constraint excludes.</summary>
    public IReadOnlyList<string> ExcludedIpRanges => [.. Excluded.Where(s => s.Form == NameForm.IpAddress).Select(s => s.Base)];

    /// <summary>The subject every certificate of <paramref name="tenant"/>'s CA carries before its CN: O=serviceradar, OU=tenant.</summary>
    public static X500DistinguishedName TenantDirectory(TenantId tenant)
    {
        ArgumentNullException.ThrowIfNull(tenant);
        // Encoded O, OU (the builder writes the reverse of the order added).
        var builder = new X500DistinguishedNameBuilder();
        builder.AddOrganizationalUnitName(tenant.Value);
        builder.AddOrganizationName(ComponentIdentity.Suffix);
        return builder.Build();
    }

    /// <summary>A tenant CA's constraint: DNS under <c>.tenant.serviceradar</c>, subject under O=serviceradar/OU=tenant, no e-mail, URI or IP.</summary>
    public static NameConstraints ForTenant(TenantId tenant) => new(
        [new(NameForm.Dns, ComponentIdentity.TenantSuffix(tenant)), new(NameForm.DirectoryName, Convert.ToHexString(TenantDirectory(tenant).RawData)), .. NoMailOrUri(permitted: true)],
        [.. AllAddresses.Select(a => new NameSubtree(NameForm.IpAddress, a)), .. NoMailOrUri(permitted: false)],
        Critical: false);

    /// <summary>
    /// The platform-admin CA's constraint: exactly <c>platform-admin.serviceradar</c> (a DNS base also covers its subdomains,
    /// so those are excluded), no e-mail, URI or IP. Critical: it has no directory name, so every verifier implements it.
    /// </summary>
    public static NameConstraints ForPlatformAdmin() => new(
        [new(NameForm.Dns, ComponentIdentity.PlatformAdmin), .. NoMailOrUri(permitted: true)],
        [new(NameForm.Dns, "." + ComponentIdentity.PlatformAdmin), .. AllAddresses.Select(a => new NameSubtree(NameForm.IpAddress, a)), .. NoMailOrUri(permitted: false)],
        Critical: true);

    private static NameSubtree[] NoMailOrUri(bool permitted) => permitted
        ? [new(NameForm.Email, Nowhere), new(NameForm.Uri, Nowhere)]
        : [new(NameForm.Email, ""), new(NameForm.Uri, "")];

    public X509Extension ToExtension()
    {
        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            WriteSubtrees(writer, PermittedTag, Permitted);
            WriteSubtrees(writer, ExcludedTag, Excluded);
        }
        return new X509Extension(Oid, writer.Encode(), Critical);
    }

    private static void WriteSubtrees(AsnWriter writer, Asn1Tag tag, IReadOnlyList<NameSubtree> subtrees)
    {
        if (subtrees.Count == 0)
            return;
        using (writer.PushSequence(tag))
        {
            foreach (var subtree in subtrees)
            {
                using (writer.PushSequence())
                    WriteName(writer, subtree);
            }
        }
    }

    private static void WriteName(AsnWriter writer, NameSubtree subtree)
    {
        switch (subtree.Form)
        {
            case NameForm.IpAddress:
                writer.WriteOctetString(AddressAndMask(subtree.Base), new Asn1Tag(TagClass.ContextSpecific, 7));
                break;
            case NameForm.DirectoryName:
                // [4] is EXPLICIT (Name is a CHOICE): a constructed tag around the DER Name.
                using (writer.PushSequence(new Asn1Tag(TagClass.ContextSpecific, 4, isConstructed: true)))
                    writer.WriteEncodedValue(Convert.FromHexString(subtree.Base));
                break;
            default:
                writer.WriteCharacterString(UniversalTagNumber.IA5String, subtree.Base, new Asn1Tag(TagClass.ContextSpecific, (int)subtree.Form));
                break;
        }
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
            var permitted = ReadSubtrees(sequence, PermittedTag);
            var excluded = ReadSubtrees(sequence, ExcludedTag);
            sequence.ThrowIfNotEmpty();
            return new NameConstraints(permitted, excluded, extension.Critical);
        }
        catch (Exception e) when (e is AsnContentException or FormatException or System.Security.Cryptography.CryptographicException)
        {
            return null;
        }
    }

    private static List<NameSubtree> ReadSubtrees(AsnReader sequence, Asn1Tag tag)
    {
        var result = new List<NameSubtree>();
        if (!sequence.HasData || !sequence.PeekTag().HasSameClassAndValue(tag))
            return result;
        var subtrees = sequence.ReadSequence(tag);
        while (subtrees.HasData)
        {
            var subtree = subtrees.ReadSequence();
            var name = subtree.PeekTag();
            if (name.TagClass != TagClass.ContextSpecific || !Enum.IsDefined((NameForm)name.TagValue))
                throw new FormatException("a name form runbook-host does not write");
            var form = (NameForm)name.TagValue;
            result.Add(form switch
            {
                NameForm.IpAddress => new NameSubtree(form, RangeText(subtree.ReadOctetString(new Asn1Tag(TagClass.ContextSpecific, 7)))),
                NameForm.DirectoryName => new NameSubtree(form, Convert.ToHexString(ReadName(subtree))),
                _ => new NameSubtree(form, subtree.ReadCharacterString(UniversalTagNumber.IA5String, new Asn1Tag(TagClass.ContextSpecific, (int)form))),
            });
            subtree.ThrowIfNotEmpty();
        }
        return result;
    }

    private static byte[] ReadName(AsnReader subtree)
    {
        var explicitTag = subtree.ReadSequence(new Asn1Tag(TagClass.ContextSpecific, 4, isConstructed: true));
        var name = explicitTag.ReadEncodedValue().ToArray();
        explicitTag.ThrowIfNotEmpty();
        return name;
    }

    /// <summary>Same subtrees in the same order, and the same criticality.</summary>
    public bool SameAs(NameConstraints other) =>
        other is not null && Critical == other.Critical && Permitted.SequenceEqual(other.Permitted) && Excluded.SequenceEqual(other.Excluded);

    public override string ToString() =>
        $"permitted {string.Join(", ", Permitted)}; excluded {string.Join(", ", Excluded)}; critical={Critical}";

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
