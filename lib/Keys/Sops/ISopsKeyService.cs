namespace RunbookHost.Keys.Sops;

/// <summary>One age recipient entry of the <c>sops.age</c> list: <c>Enc</c> is an ASCII-armored age file.</summary>
public sealed record SopsAgeStanza(string Recipient, string Enc);

/// <summary>
/// Wraps and unwraps the 32-byte SOPS data key. The SOPS core never touches age itself; an
/// implementation adapts a native or external age implementation.
/// </summary>
public interface ISopsKeyService
{
    /// <summary>Wrap <paramref name="dataKey"/> for every recipient (one stanza each, same order).</summary>
    IReadOnlyList<SopsAgeStanza> Wrap(ReadOnlySpan<byte> dataKey, IReadOnlyList<string> ageRecipients);

    /// <summary>
    /// Return the data key from any stanza an available identity opens; throw
    /// <see cref="SopsException"/> ("no usable key ...") otherwise.
    /// </summary>
    byte[] Unwrap(SopsMetadata metadata);
}
