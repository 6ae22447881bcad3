using System.Globalization;
using System.Text;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace RunbookHost.Keys.Sops;

/// <summary>
/// YAML store: every document is a mapping; comments are kept as tree items (sops encrypts them).
/// Writes sops' layout: 4-space indent, sequences indented under their key, literal blocks for
/// multi-line strings.
/// </summary>
internal static class SopsYamlStore
{
    private const int Indent = 4;

    // ---------- loading ----------

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

    private sealed class Loader(List<ParsingEvent> events, string text)
    {
        private int _pos;
        private readonly List<(SNode Node, long Column)> _stack = [];

        public List<SMap> LoadDocuments()
        {
            var docs = new List<SMap>();
            while (_pos < events.Count)
            {
                var ev = events[_pos++];
                if (ev is DocumentStart)
                    docs.Add(LoadDocument());
            }
            return docs;
        }

        private SMap LoadDocument()
        {
            var leading = new List<string>();
            SMap? root = null;
            while (_pos < events.Count)
            {
                var ev = events[_pos++];
                switch (ev)
                {
                    case Comment c:
                        if (root is null) leading.Add(CommentText(c));
                        else root.AddComment(CommentText(c));
                        break;
                    case MappingStart ms:
                        if (root is not null) throw new SopsException("YAML document has more than one root node");
                        root = new SMap();
                        foreach (var l in leading) root.AddComment(l);
                        LoadMapInto(root, ms);
                        break;
                    case Scalar s when root is null && s.Value.Length == 0 && s.Style == ScalarStyle.Plain:
                        root = new SMap();
                        foreach (var l in leading) root.AddComment(l);
                        break;
                    case DocumentEnd:
                        if (root is null)
                        {
                            root = new SMap();
                            foreach (var l in leading) root.AddComment(l);
                        }
                        return root;
                    case SequenceStart or Scalar:
                        throw new SopsException("YAML document root must be a mapping");
                    default:
                        throw new SopsException("unsupported YAML construct at document level");
                }
            }
            throw new SopsException("unterminated YAML document");
        }

        private string CommentText(Comment c)
        {
            var i = (int)c.Start.Index;
            if (i >= 0 && i < text.Length && text[i] == '#')
            {
                var end = text.IndexOfAny(['\r', '\n'], i);
                return (end < 0 ? text[(i + 1)..] : text[(i + 1)..end]).TrimEnd();
            }
            return " " + c.Value;
        }

        /// <summary>Put a comment in the deepest open container whose indentation is not right of it.</summary>
        private void PlaceComment(Comment c)
        {
            var col = c.IsInline ? long.MaxValue : c.Start.Column;
            for (var i = _stack.Count - 1; i >= 0; i--)
            {
                var (node, column) = _stack[i];
                if (i == 0 || column <= col || column < 0)
                {
                    AddComment(node, CommentText(c));
                    return;
                }
            }
        }

        private static void AddComment(SNode node, string text)
        {
            if (node is SMap m) m.AddComment(text);
            else ((SList)node).Items.Add(new SComment(text));
        }

        private void SetColumn(SNode node, long column)
        {
            var i = _stack.Count - 1;
            if (_stack[i].Node == node && _stack[i].Column < 0)
                _stack[i] = (node, column);
        }

        private const int MaxDepth = 256;

        private void Push(SNode node, long column)
        {
            if (_stack.Count >= MaxDepth) throw new SopsException("YAML nesting is too deep");
            _stack.Add((node, column));
        }

        private void LoadMapInto(SMap map, MappingStart start)
        {
            Push(map, -1);
            try
            {
                while (true)
                {
                    var ev = Next();
                    switch (ev)
                    {
                        case MappingEnd:
                            return;
                        case Comment c:
                            PlaceComment(c);
                            break;
                        case Scalar key:
                            SetColumn(map, key.Start.Column);
                            var pendingComments = new List<Comment>();
                            var valueEvent = Next();
                            while (valueEvent is Comment vc)
                            {
                                pendingComments.Add(vc);
                                valueEvent = Next();
                            }
                            var item = new MapItem(key.Value, SScalar.Null);
                            map.Items.Add(item);
                            item.Value = LoadNode(valueEvent, pendingComments);
                            break;
                        default:
                            throw new SopsException("unsupported YAML construct: only scalar mapping keys are supported");
                    }
                }
            }
            finally
            {
                _stack.RemoveAt(_stack.Count - 1);
            }
        }

        private void LoadListInto(SList list, SequenceStart start)
        {
            Push(list, start.Start.Column);
            try
            {
                while (true)
                {
                    var ev = Next();
                    switch (ev)
                    {
                        case SequenceEnd:
                            return;
                        case Comment c:
                            PlaceComment(c);
                            break;
                        default:
                            var placeholder = list.Items.Count;
                            list.Items.Add(SScalar.Null);
                            list.Items[placeholder] = LoadNode(ev, []);
                            break;
                    }
                }
            }
            finally
            {
                _stack.RemoveAt(_stack.Count - 1);
            }
        }

        private SNode LoadNode(ParsingEvent ev, List<Comment> leadingComments)
        {
            switch (ev)
            {
                case Scalar s:
                    foreach (var c in leadingComments) PlaceComment(c);
                    return ResolveScalar(s);
                case MappingStart ms:
                    {
                        if (!ms.Anchor.IsEmpty) throw new SopsException("YAML anchors and aliases are not supported");
                        var m = new SMap();
                        foreach (var c in leadingComments) m.AddComment(CommentText(c));
                        LoadMapInto(m, ms);
                        return m;
                    }
                case SequenceStart ss:
                    {
                        if (!ss.Anchor.IsEmpty) throw new SopsException("YAML anchors and aliases are not supported");
                        var l = new SList();
                        foreach (var c in leadingComments) l.Items.Add(new SComment(CommentText(c)));
                        LoadListInto(l, ss);
                        return l;
                    }
                case AnchorAlias:
                    throw new SopsException("YAML anchors and aliases are not supported");
                default:
                    throw new SopsException("unsupported YAML construct");
            }
        }

        private ParsingEvent Next()
        {
            if (_pos >= events.Count) throw new SopsException("unexpected end of YAML");
            return events[_pos++];
        }
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

    // ---------- emitting ----------

    public static byte[] Emit(IReadOnlyList<SMap> documents)
    {
        var sb = new StringBuilder();
        for (var i = 0; i < documents.Count; i++)
        {
            if (i > 0) sb.Append("---\n");
            if (documents[i].Items.Count == 0 && documents.Count == 1) sb.Append("{}\n");
            else WriteMap(sb, documents[i], 0, 0);
        }
        return new UTF8Encoding(false).GetBytes(sb.ToString());
    }

    private static void WriteMap(StringBuilder sb, SMap map, int indent, int firstLineIndent)
    {
        var first = true;
        foreach (var item in map.Items)
        {
            var pad = first ? firstLineIndent : indent;
            first = false;
            sb.Append(' ', pad);
            if (item.Key is null)
            {
                sb.Append('#').Append(((SComment)item.Value).Text).Append('\n');
                continue;
            }
            sb.Append(QuoteScalar(item.Key)).Append(':');
            WriteValueAfterIndicator(sb, item.Value, indent, indent + Indent, firstLineIndent != indent ? indent + 2 : indent + Indent);
        }
    }

    /// <summary>Writes a value after <c>key:</c> or <c>-</c>; block children go at <paramref name="childIndent"/>.</summary>
    private static void WriteValueAfterIndicator(StringBuilder sb, SNode value, int ownIndent, int childIndent, int blockScalarIndent)
    {
        switch (value)
        {
            case SScalar s:
                if (s.Kind == ScalarKind.Str && s.Text.Contains('\n') && TryLiteral(s.Text, blockScalarIndent, out var literal))
                {
                    sb.Append(' ').Append(literal);
                }
                else
                {
                    sb.Append(' ').Append(ScalarText(s)).Append('\n');
                }
                break;
            case SMap m when m.Items.Count == 0:
                sb.Append(" {}\n");
                break;
            case SList l when l.Items.Count == 0:
                sb.Append(" []\n");
                break;
            case SMap m:
                sb.Append('\n');
                WriteMap(sb, m, childIndent, childIndent);
                break;
            case SList l:
                sb.Append('\n');
                WriteList(sb, l, childIndent);
                break;
            default:
                throw new SopsException("unexpected node in tree");
        }
    }

    private static void WriteList(StringBuilder sb, SList list, int indent)
    {
        foreach (var item in list.Items)
        {
            switch (item)
            {
                case SComment c:
                    sb.Append(' ', indent).Append('#').Append(c.Text).Append('\n');
                    break;
                case SMap m when m.Items.Count > 0 && m.Items[0].Key is not null:
                    sb.Append(' ', indent).Append("- ");
                    WriteMap(sb, m, indent + 2, 0);
                    break;
                case SMap or SList:
                    sb.Append(' ', indent).Append('-');
                    WriteValueAfterIndicator(sb, item, indent, indent + 2, indent + Indent);
                    break;
                default:
                    sb.Append(' ', indent).Append('-');
                    WriteValueAfterIndicator(sb, item, indent, indent + 2, indent + Indent);
                    break;
            }
        }
    }

    private static bool TryLiteral(string s, int indent, out string literal)
    {
        literal = "";
        if (s[0] == ' ' || s[0] == '\n' || s.Contains('\r')) return false;
        foreach (var ch in s)
            if ((ch < 0x20 && ch != '\n') || ch == 0x7F || ch is '\u0085' or '\u2028' or '\u2029' or '\uFEFF' || char.IsSurrogate(ch))
                return false;
        var body = s.TrimEnd('\n');
        var trailing = s.Length - body.Length;
        if (body.Length == 0) return false;
        var lines = body.Split('\n');
        foreach (var line in lines)
            if (line.EndsWith(' ') || line.EndsWith('\t')) return false;
        var sb = new StringBuilder();
        sb.Append(trailing switch { 0 => "|-", 1 => "|", _ => "|+" }).Append('\n');
        foreach (var line in lines)
        {
            if (line.Length > 0) sb.Append(' ', indent).Append(line);
            sb.Append('\n');
        }
        for (var i = 1; i < trailing; i++) sb.Append('\n');
        literal = sb.ToString();
        return true;
    }

    private static string ScalarText(SScalar s) => s.Kind switch
    {
        ScalarKind.Null => "null",
        ScalarKind.Bool => s.BoolValue ? "true" : "false",
        ScalarKind.Int => s.Text,
        ScalarKind.Float => YamlFloat(s.FloatValue),
        ScalarKind.Time => s.Text,
        _ => QuoteScalar(s.Text),
    };

    private static string YamlFloat(double d)
    {
        if (double.IsNaN(d)) return ".nan";
        if (double.IsPositiveInfinity(d)) return ".inf";
        if (double.IsNegativeInfinity(d)) return "-.inf";
        var r = d.ToString("R", CultureInfo.InvariantCulture).Replace('E', 'e');
        return r.Contains('.') || r.Contains('e') ? r : r + ".0";
    }

    /// <summary>A string as a plain scalar when that is safe, else double-quoted.</summary>
    internal static string QuoteScalar(string s) => SopsYamlScalars.IsPlainSafe(s) ? s : DoubleQuoted(s);

    private static string DoubleQuoted(string s)
    {
        var sb = new StringBuilder("\"");
        for (var i = 0; i < s.Length; i++)
        {
            var ch = s[i];
            switch (ch)
            {
                case '\\': sb.Append("\\\\"); break;
                case '"': sb.Append("\\\""); break;
                case '\n': sb.Append("\\n"); break;
                case '\t': sb.Append("\\t"); break;
                case '\r': sb.Append("\\r"); break;
                case '\0': sb.Append("\\0"); break;
                default:
                    if (char.IsHighSurrogate(ch) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]))
                    {
                        sb.Append(ch).Append(s[i + 1]);
                        i++;
                    }
                    else if (ch < 0x20 || ch == 0x7F || (ch >= 0x80 && ch <= 0x9F) || ch is '\u2028' or '\u2029' or '\uFEFF' || char.IsSurrogate(ch))
                    {
                        sb.Append("\\u").Append(((int)ch).ToString("X4", CultureInfo.InvariantCulture));
                    }
                    else
                    {
                        sb.Append(ch);
                    }
                    break;
            }
        }
        return sb.Append('"').ToString();
    }
}
