using System.Security.Cryptography;
using System.Text;
using Org.BouncyCastle.Crypto.Generators;

namespace RunbookHost.Keys.Age;

/// <summary>A passphrase identity for "scrypt" stanzas (decrypt only).</summary>
public sealed class AgeScryptIdentity : IAgeIdentity
{
    internal const string StanzaType = "scrypt";

    /// <summary>Largest accepted log2(N); 22 is age's default limit (~4 GiB of memory at r=8).</summary>
    public const int MaxWorkFactor = 22;

    private const string SaltLabel = "age-encryption.org/v1/scrypt";
    private readonly byte[] passphrase;

    public AgeScryptIdentity(string passphrase)
    {
        ArgumentNullException.ThrowIfNull(passphrase);
        this.passphrase = Encoding.UTF8.GetBytes(passphrase);
    }

    public override string ToString() => "AgeScryptIdentity";

    byte[]? IAgeIdentity.Unwrap(IReadOnlyList<AgeStanza> stanzas)
    {
        foreach (var s in stanzas)
        {
            if (s.Type == StanzaType && stanzas.Count != 1)
            {
                throw new AgeException(AgeErrorKind.HeaderFailure, "an scrypt stanza must be the only stanza in the header");
            }
        }

        if (stanzas.Count != 1 || stanzas[0].Type != StanzaType)
        {
            return null;
        }

        var stanza = stanzas[0];
        if (stanza.Args.Count != 2)
        {
            throw new AgeException(AgeErrorKind.HeaderFailure, "invalid scrypt stanza: expected exactly two arguments");
        }

        var salt = StrictBase64.DecodeUnpadded(Encoding.ASCII.GetBytes(stanza.Args[0]));
        if (salt is null || salt.Length != 16)
        {
            throw new AgeException(AgeErrorKind.HeaderFailure, "invalid scrypt stanza: salt must be 16 bytes of canonical base64");
        }

        var workFactor = ParseWorkFactor(stanza.Args[1]);
        if (stanza.Body.Length != AgeCrypto.FileKeySize + AgeCrypto.TagSize)
        {
            throw new AgeException(AgeErrorKind.HeaderFailure, "invalid scrypt stanza: wrong body length");
        }

        byte[] fullSalt = [.. Encoding.ASCII.GetBytes(SaltLabel), .. salt];
        var key = SCrypt.Generate(passphrase, fullSalt, 1 << workFactor, 8, 1, 32);
        try
        {
            return AgeCrypto.OpenWrap(key, stanza.Body);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }
    }

    /// <summary>Strict decimal: 1-2 digits, no sign, no leading zero, 1..MaxWorkFactor.</summary>
    private static int ParseWorkFactor(string text)
    {
        var ok = text.Length is 1 or 2 && text[0] is >= '1' and <= '9' && text.All(c => c is >= '0' and <= '9');
        var value = ok ? int.Parse(text, System.Globalization.CultureInfo.InvariantCulture) : 0;
        if (!ok || value > MaxWorkFactor)
        {
            throw new AgeException(AgeErrorKind.HeaderFailure, $"invalid scrypt stanza: work factor must be a decimal from 1 to {MaxWorkFactor}");
        }

        return value;
    }
}
