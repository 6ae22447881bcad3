using System.Formats.Asn1;
using System.Numerics;

namespace RunbookHost.Evidence;

/// <summary>
/// Canonical ECDSA P-256 signatures. For every valid signature (r, s), (r, n − s) verifies too, so a
/// third party could change a file's bytes without the key. Signing keeps s ≤ n/2 ("low S", as Bitcoin's
/// BIP 62 and libsecp256k1 do) and verification refuses anything else, so each signed payload has exactly
/// one valid evidence file.
/// </summary>
public static class EcdsaLowS
{
    /// <summary>The order of the P-256 base point.</summary>
    private static readonly BigInteger N = BigInteger.Parse(
        "0FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551", System.Globalization.NumberStyles.HexNumber);

    private static readonly BigInteger HalfN = N / 2;

    /// <summary>Returns the DER signature with s replaced by n − s when s is in the upper half; otherwise the same bytes.</summary>
    public static byte[] Normalize(byte[] derSignature)
    {
        if (!TryRead(derSignature, out var r, out var s))
            throw new System.Security.Cryptography.CryptographicException("not a DER ECDSA signature");
        return s > HalfN ? Write(r, N - s) : derSignature;
    }

    /// <summary>Why <paramref name="derSignature"/> is not canonical (strict DER, 0 &lt; r, s &lt; n, s ≤ n/2), or null when it is.</summary>
    public static string? Problem(ReadOnlySpan<byte> derSignature)
    {
        if (!TryRead(derSignature, out var r, out var s))
            return "signature not canonical (not strict DER)";
        if (r.Sign <= 0 || r >= N || s.Sign <= 0 || s >= N)
            return "signature not canonical (r or s out of range)";
        return s > HalfN ? "signature not canonical (high S)" : null;
    }

    /// <summary>(r, n − s): the malleated twin of a signature (tests use it to prove verification refuses it).</summary>
    public static byte[] Flip(byte[] derSignature) =>
        TryRead(derSignature, out var r, out var s) ? Write(r, N - s) : throw new ArgumentException("not a DER ECDSA signature", nameof(derSignature));

    private static bool TryRead(ReadOnlySpan<byte> der, out BigInteger r, out BigInteger s)
    {
        r = s = default;
        try
        {
            var outer = new AsnReader(der.ToArray(), AsnEncodingRules.DER);
            var sequence = outer.ReadSequence();
            r = sequence.ReadInteger();
            s = sequence.ReadInteger();
            return !sequence.HasData && !outer.HasData;
        }
        catch (AsnContentException)
        {
            return false;
        }
    }

    private static byte[] Write(BigInteger r, BigInteger s)
    {
        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            writer.WriteInteger(r);
            writer.WriteInteger(s);
        }
        return writer.Encode();
    }
}
