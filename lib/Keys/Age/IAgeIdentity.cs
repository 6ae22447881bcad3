namespace RunbookHost.Keys.Age;

/// <summary>
/// Something that can unwrap an age file key from the header stanzas. Implemented only inside this
/// assembly (<see cref="AgeX25519Identity"/>, <see cref="AgeScryptIdentity"/>).
/// </summary>
public interface IAgeIdentity
{
    /// <summary>
    /// Returns the 16-byte file key (owned by the caller, who must zero it), or null when no stanza is
    /// for this identity. Throws <see cref="AgeException"/> (HeaderFailure) for a malformed stanza of a
    /// type this identity understands.
    /// </summary>
    internal byte[]? Unwrap(IReadOnlyList<AgeStanza> stanzas);
}
