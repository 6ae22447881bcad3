using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace RunbookHost.Pki;

/// <summary>
/// Reads a CRL (RFC 5280 §5.1) with AsnReader, since .NET can build CRLs but not list their entries: the serials it
/// revokes, its number and dates, and whether its signature verifies with the issuer's ECDSA key. For verification.
/// </summary>
public sealed record CrlContents(IReadOnlyList<string> RevokedSerials, DateTimeOffset ThisUpdate, DateTimeOffset? NextUpdate, bool SignatureValid,
    System.Numerics.BigInteger Number = default)
{
    /// <summary>True while <paramref name="now"/> is before the CRL's next update: a peer refuses a CRL past it.</summary>
    public bool IsCurrent(DateTimeOffset now) => NextUpdate is { } next && now < next;

    public static CrlContents Read(byte[] der, X509Certificate2 issuer)
    {
        var outer = new AsnReader(der, AsnEncodingRules.DER).ReadSequence();
        var tbsBytes = outer.PeekEncodedValue().ToArray();
        var tbs = outer.ReadSequence();
        outer.ReadSequence(); // signatureAlgorithm
        var signature = outer.ReadBitString(out _);
        if (tbs.PeekTag().HasSameClassAndValue(Asn1Tag.Integer))
            tbs.ReadInteger(); // version
        tbs.ReadSequence(); // signature
        tbs.ReadEncodedValue(); // issuer
        var thisUpdate = ReadTime(tbs);
        DateTimeOffset? nextUpdate = tbs.HasData && IsTime(tbs.PeekTag()) ? ReadTime(tbs) : null;
        var serials = new List<string>();
        if (tbs.HasData && tbs.PeekTag().HasSameClassAndValue(Asn1Tag.Sequence))
        {
            var entries = tbs.ReadSequence();
            while (entries.HasData)
            {
                var entry = entries.ReadSequence();
                serials.Add(Convert.ToHexStringLower(entry.ReadIntegerBytes().Span));
            }
        }
        var number = tbs.HasData && tbs.PeekTag().HasSameClassAndValue(new Asn1Tag(TagClass.ContextSpecific, 0)) ? CrlNumber(tbs) : System.Numerics.BigInteger.Zero;
        using var key = issuer.GetECDsaPublicKey() ?? throw new CryptographicException("the CRL issuer has no ECDSA key");
        var hash = key.KeySize > 256 ? HashAlgorithmName.SHA384 : HashAlgorithmName.SHA256;
        var valid = key.VerifyData(tbsBytes, signature, hash, DSASignatureFormat.Rfc3279DerSequence);
        return new CrlContents(serials, thisUpdate, nextUpdate, valid, number);
    }

    public static CrlContents ReadPem(string pem, X509Certificate2 issuer)
    {
        var fields = PemEncoding.Find(pem);
        if (pem[fields.Label] is not "X509 CRL")
            throw new CryptographicException("not a PEM CRL");
        return Read(Convert.FromBase64String(pem[fields.Base64Data]), issuer);
    }

    // crlExtensions [0] EXPLICIT Extensions; the cRLNumber extension (2.5.29.20) holds an INTEGER in its OCTET STRING.
    private static System.Numerics.BigInteger CrlNumber(AsnReader tbs)
    {
        var extensions = tbs.ReadSequence(new Asn1Tag(TagClass.ContextSpecific, 0, isConstructed: true)).ReadSequence();
        while (extensions.HasData)
        {
            var extension = extensions.ReadSequence();
            var oid = extension.ReadObjectIdentifier();
            if (extension.PeekTag().HasSameClassAndValue(Asn1Tag.Boolean))
                extension.ReadBoolean();
            var value = extension.ReadOctetString();
            if (oid == "2.5.29.20")
                return new AsnReader(value, AsnEncodingRules.DER).ReadInteger();
        }
        return System.Numerics.BigInteger.Zero;
    }

    private static bool IsTime(Asn1Tag tag) => tag.HasSameClassAndValue(Asn1Tag.UtcTime) || tag.HasSameClassAndValue(Asn1Tag.GeneralizedTime);

    private static DateTimeOffset ReadTime(AsnReader reader) =>
        reader.PeekTag().HasSameClassAndValue(Asn1Tag.UtcTime) ? reader.ReadUtcTime() : reader.ReadGeneralizedTime();

}
