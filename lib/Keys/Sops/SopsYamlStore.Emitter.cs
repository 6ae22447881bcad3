using System.Globalization;
using System.Text;

namespace RunbookHost.Keys.Sops;

/// <summary>Writes sops' YAML layout: 4-space indent, sequences under their key, literal blocks for multi-line strings.</summary>
internal static partial class SopsYamlStore
{
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
