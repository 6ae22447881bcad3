namespace RunbookHost.Keys.KeyRing;

/// <summary>A key-ring operation refused to act because acting could leave secrets no key decrypts (or found such a state). Never carries key material.</summary>
public sealed class KeyRingException(string message) : Exception(message);
