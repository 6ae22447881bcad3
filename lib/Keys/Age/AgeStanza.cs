namespace RunbookHost.Keys.Age;

/// <summary>One recipient stanza of an age header.</summary>
internal sealed class AgeStanza(string type, IReadOnlyList<string> args, byte[] body)
{
    public string Type { get; } = type;

    public IReadOnlyList<string> Args { get; } = args;

    public byte[] Body { get; } = body;
}
