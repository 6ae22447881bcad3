using System.Globalization;
using System.Text;
using System.Text.Json;

namespace RunbookHost.Keys.Sops;

/// <summary>
/// JSON store: top-level object, key order kept, every number is a float (as sops decodes JSON
/// numbers into float64). Written with tab indent and a trailing newline, like sops.
/// </summary>
internal static class SopsJsonStore
{
    public static SMap Load(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Disallow, MaxDepth = 256 });
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
                throw new SopsException("JSON document must be an object at top level");
            var map = ReadObject(ref reader);
            if (reader.Read())
                throw new SopsException("unexpected data after the JSON object");
            return map;
        }
        catch (JsonException e)
        {
            throw new SopsException($"invalid JSON at line {e.LineNumber + 1}");
        }
    }

    private static SMap ReadObject(ref Utf8JsonReader reader)
    {
        var map = new SMap();
        while (reader.Read())
        {
            if (reader.TokenType == JsonTokenType.EndObject) return map;
            var key = reader.GetString()!;
            reader.Read();
            map.Add(key, ReadValue(ref reader));
        }
        throw new SopsException("unterminated JSON object");
    }

    private static SNode ReadValue(ref Utf8JsonReader reader)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.StartObject:
                return ReadObject(ref reader);
            case JsonTokenType.StartArray:
                var list = new SList();
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                    list.Items.Add(ReadValue(ref reader));
                return list;
            case JsonTokenType.String:
                return SScalar.Str(reader.GetString()!);
            case JsonTokenType.Number:
                return SScalar.Float(reader.GetDouble());
            case JsonTokenType.True:
                return SScalar.Bool(true);
            case JsonTokenType.False:
                return SScalar.Bool(false);
            case JsonTokenType.Null:
                return SScalar.Null;
            default:
                throw new SopsException("unexpected JSON token");
        }
    }

    public static byte[] Emit(SMap map)
    {
        var sb = new StringBuilder();
        WriteValue(sb, map, 0);
        sb.Append('\n');
        return new UTF8Encoding(false).GetBytes(sb.ToString());
    }

    private static void WriteValue(StringBuilder sb, SNode node, int depth)
    {
        switch (node)
        {
            case SMap m:
                {
                    var items = m.Items.Where(i => i.Key is not null).ToList();
                    if (items.Count == 0) { sb.Append("{}"); return; }
                    sb.Append("{\n");
                    for (var i = 0; i < items.Count; i++)
                    {
                        sb.Append('\t', depth + 1);
                        WriteString(sb, items[i].Key!);
                        sb.Append(": ");
                        WriteValue(sb, items[i].Value, depth + 1);
                        sb.Append(i + 1 < items.Count ? ",\n" : "\n");
                    }
                    sb.Append('\t', depth).Append('}');
                    return;
                }
            case SList l:
                {
                    var items = l.Items.Where(i => i is not SComment).ToList();
                    if (items.Count == 0) { sb.Append("[]"); return; }
                    sb.Append("[\n");
                    for (var i = 0; i < items.Count; i++)
                    {
                        sb.Append('\t', depth + 1);
                        WriteValue(sb, items[i], depth + 1);
                        sb.Append(i + 1 < items.Count ? ",\n" : "\n");
                    }
                    sb.Append('\t', depth).Append(']');
                    return;
                }
            case SScalar s:
                switch (s.Kind)
                {
                    case ScalarKind.Null: sb.Append("null"); return;
                    case ScalarKind.Bool: sb.Append(s.BoolValue ? "true" : "false"); return;
                    case ScalarKind.Int: sb.Append(s.Text); return;
                    case ScalarKind.Float: sb.Append(JsonFloat(s.FloatValue)); return;
                    default: WriteString(sb, s.Text); return;
                }
            case SComment:
                return;
            default:
                throw new SopsException("unexpected node in tree");
        }
    }

    private static string JsonFloat(double d)
    {
        if (double.IsNaN(d) || double.IsInfinity(d))
            throw new SopsException("NaN and infinity cannot be written as JSON");
        var abs = Math.Abs(d);
        if (abs == 0 || (abs >= 1e-6 && abs < 1e21))
            return SopsNumbers.FormatFloatF(d);
        var r = d.ToString("R", CultureInfo.InvariantCulture).Replace('E', 'e');
        return r;
    }

    /// <summary>Go encoding/json string escaping (HTML characters escaped too).</summary>
    internal static void WriteString(StringBuilder sb, string s)
    {
        sb.Append('"');
        foreach (var ch in s)
        {
            switch (ch)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                case '<' or '>' or '&' or '\u2028' or '\u2029':
                    sb.Append("\\u").Append(((int)ch).ToString("x4", CultureInfo.InvariantCulture));
                    break;
                default:
                    if (ch < 0x20) sb.Append("\\u").Append(((int)ch).ToString("x4", CultureInfo.InvariantCulture));
                    else sb.Append(ch);
                    break;
            }
        }
        sb.Append('"');
    }
}
