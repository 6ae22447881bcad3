using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace RunbookHost.Keys.Sops;

/// <summary>
/// YAML store: every document is a mapping; comments are kept as tree items (sops encrypts them).
/// Writes sops' layout: 4-space indent, sequences indented under their key, literal blocks for
/// multi-line strings.
/// </summary>
internal static partial class SopsYamlStore
{
    private const int Indent = 4;

    public static List<SMap> Load(string text)
    {
        var events = new List<ParsingEvent>();
        try
        {
            var parser = new Parser(new Scanner(new StringReader(text), skipComments: false));
            while (parser.MoveNext())
                events.Add(parser.Current!);
        }
        catch (YamlException e)
        {
            // The parser's message may quote document text, which can be a secret: position only.
            throw new SopsException($"invalid YAML at line {e.Start.Line}, column {e.Start.Column}");
        }
        return new Loader(events, text).LoadDocuments();
    }

    private static SScalar ResolveScalar(Scalar s)
    {
        if (!s.Anchor.IsEmpty) throw new SopsException("YAML anchors and aliases are not supported");
        if (!s.Tag.IsEmpty)
        {
            var tag = s.Tag.Value;
            var name = tag[(tag.LastIndexOfAny([':', '!']) + 1)..];
            switch (name)
            {
                case "str" or "binary":
                    return SScalar.Str(s.Value);
                case "null" or "bool" or "int" or "float" or "timestamp":
                    var r = SopsYamlScalars.ResolvePlain(s.Value);
                    if (r.Kind == ScalarKind.Str) throw new SopsException($"YAML value does not match its tag !!{name}");
                    return r;
                default:
                    return SScalar.Str(s.Value);
            }
        }
        return s.Style == ScalarStyle.Plain ? SopsYamlScalars.ResolvePlain(s.Value) : SScalar.Str(s.Value);
    }
}
