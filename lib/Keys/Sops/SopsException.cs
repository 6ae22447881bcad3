namespace RunbookHost.Keys.Sops;

/// <summary>
/// A SOPS file could not be read, written or decrypted. Messages are one line and never contain
/// plaintext values or key material (paths of keys may appear; values never do).
/// </summary>
public class SopsException : Exception
{
    public SopsException(string message) : base(message) { }
    public SopsException(string message, Exception inner) : base(message, inner) { }
}

/// <summary>The file's MAC is missing or does not match its content: it was tampered with or damaged.</summary>
public sealed class SopsMacMismatchException : SopsException
{
    public SopsMacMismatchException(string message) : base(message) { }
}
