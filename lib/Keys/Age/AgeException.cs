namespace RunbookHost.Keys.Age;

/// <summary>What went wrong, in the categories of the age test kit (plus key/usage errors).</summary>
public enum AgeErrorKind
{
    /// <summary>The header is malformed (or a stanza for a known type is malformed, or the nonce is missing).</summary>
    HeaderFailure,
    /// <summary>The header MAC does not verify.</summary>
    HmacFailure,
    /// <summary>The ASCII armor is malformed.</summary>
    ArmorFailure,
    /// <summary>The payload (STREAM) is truncated, corrupted or has trailing data.</summary>
    PayloadFailure,
    /// <summary>None of the identities could unwrap the file key.</summary>
    NoMatch,
    /// <summary>A key, recipient or identity file is malformed.</summary>
    InvalidKey,
    /// <summary>A recognised but unsupported feature (post-quantum hybrid, plugins, SSH keys).</summary>
    Unsupported,
}

/// <summary>
/// An age encryption/decryption/parsing error. Messages are one line and never contain key material,
/// passphrases or plaintext.
/// </summary>
public sealed class AgeException : Exception
{
    public AgeException(AgeErrorKind kind, string message)
        : base(message) => Kind = kind;

    public AgeErrorKind Kind { get; }
}
