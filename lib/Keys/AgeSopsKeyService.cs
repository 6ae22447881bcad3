using System.Security.Cryptography;
using System.Text;
using RunbookHost.Keys.Age;
using RunbookHost.Keys.Sops;

namespace RunbookHost.Keys;

/// <summary>
/// The product's <see cref="ISopsKeyService"/>: wraps the 32-byte SOPS data key with the native age
/// library (one ASCII-armored age file per recipient, as sops writes it) and unwraps it with the given
/// X25519 identities. No process is started and the data key never touches the disk.
/// </summary>
public sealed class AgeSopsKeyService : ISopsKeyService
{
    private const int DataKeySize = 32;
    private readonly IReadOnlyList<IAgeIdentity> identities;

    /// <param name="identities">Identities allowed to unwrap; empty for a service that only wraps.</param>
    public AgeSopsKeyService(params IAgeIdentity[] identities) => this.identities = identities;

    public AgeSopsKeyService(IReadOnlyList<IAgeIdentity> identities) => this.identities = identities;

    /// <summary>A service whose identities are read from an age identity file (age-keygen format).</summary>
    public static AgeSopsKeyService FromKeyFile(string identityFile) =>
        new(AgeKeyFile.ParseIdentities(File.ReadAllText(identityFile)));

    public IReadOnlyList<SopsAgeStanza> Wrap(ReadOnlySpan<byte> dataKey, IReadOnlyList<string> ageRecipients)
    {
        ArgumentNullException.ThrowIfNull(ageRecipients);
        var stanzas = new List<SopsAgeStanza>(ageRecipients.Count);
        foreach (var text in ageRecipients)
        {
            AgeX25519Recipient recipient;
            try
            {
                recipient = AgeX25519Recipient.Parse(text);
            }
            catch (AgeException error)
            {
                throw new SopsException($"invalid age recipient: {error.Message}");
            }
            var armored = AgeFile.Encrypt(dataKey, [recipient], armor: true);
            stanzas.Add(new SopsAgeStanza(recipient.ToString(), Encoding.ASCII.GetString(armored)));
        }
        return stanzas;
    }

    public byte[] Unwrap(SopsMetadata metadata)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        if (identities.Count > 0)
        {
            foreach (var stanza in metadata.Age)
            {
                byte[] key;
                try
                {
                    key = AgeFile.Decrypt(Encoding.ASCII.GetBytes(stanza.Enc), identities);
                }
                catch (AgeException)
                {
                    continue; // not for us (NoMatch) or malformed: try the next stanza
                }
                if (key.Length == DataKeySize)
                    return key;
                CryptographicOperations.ZeroMemory(key);
            }
        }
        throw new SopsException("no usable key: no available age identity opens any age stanza");
    }
}
