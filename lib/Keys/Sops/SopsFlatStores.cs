using System.Text;

namespace RunbookHost.Keys.Sops;

/// <summary>dotenv store (read, and plaintext output): <c>KEY=VALUE</c> lines, <c>#</c> comments, <c>\n</c> escapes.</summary>
internal static class SopsDotenvStore
{
    public const string MetadataPrefix = "sops_";

    public static SMap Load(string text)
    {
        var map = new SMap();
        foreach (var line in text.Split('\n'))
        {
            if (line.Length == 0) continue;
            if (line[0] == '#')
            {
                map.AddComment(line[1..]);
                continue;
            }
            var eq = line.IndexOf('=');
            if (eq < 0) throw new SopsException("invalid dotenv line: missing '='");
            map.Add(line[..eq], SScalar.Str(line[(eq + 1)..].Replace("\\n", "\n")));
        }
        return map;
    }

    public static byte[] Emit(SMap map)
    {
        var sb = new StringBuilder();
        foreach (var item in map.Items)
        {
            if (item.Key is null)
            {
                sb.Append('#').Append(((SComment)item.Value).Text).Append('\n');
                continue;
            }
            if (item.Value is not SScalar s) throw new SopsException("dotenv values must be scalars");
            sb.Append(item.Key).Append('=').Append(s.Kind == ScalarKind.Null ? "" : s.Text.Replace("\n", "\\n")).Append('\n');
        }
        return new UTF8Encoding(false).GetBytes(sb.ToString());
    }
}

/// <summary>INI store (read, and plaintext output): sections are the first path element; all values are strings.</summary>
internal static class SopsIniStore
{
    public static SMap Load(string text)
    {
        var root = new SMap();
        SMap? section = null;
        var pending = new List<string>();
        SMap EnsureDefault()
        {
            if (section is null)
            {
                section = new SMap();
                root.Add("DEFAULT", section);
            }
            return section;
        }
        var rawLines = text.Split('\n');
        for (var n = 0; n < rawLines.Length; n++)
        {
            var line = rawLines[n].TrimEnd('\r').Trim();
            // A """ value may span lines.
            var eqAt = line.IndexOf('=');
            var valuePart = eqAt < 0 ? "" : line[(eqAt + 1)..].TrimStart();
            if (line.Length > 0 && line[0] is not (';' or '#' or '[') && valuePart.StartsWith("\"\"\"", StringComparison.Ordinal)
                && (valuePart.Length < 6 || !valuePart.EndsWith("\"\"\"", StringComparison.Ordinal)))
            {
                var sbv = new StringBuilder(line);
                while (++n < rawLines.Length)
                {
                    var next = rawLines[n].TrimEnd('\r');
                    sbv.Append('\n').Append(next);
                    if (next.TrimEnd().EndsWith("\"\"\"", StringComparison.Ordinal)) break;
                }
                line = sbv.ToString().TrimEnd();
            }
            if (line.Length == 0) continue;
            if (line[0] is ';' or '#')
            {
                pending.Add(line[1..].Trim());
                continue;
            }
            if (line[0] == '[')
            {
                var close = line.IndexOf(']');
                if (close < 0) throw new SopsException("invalid INI section header");
                var name = line[1..close].Trim();
                section = root.Get(name) as SMap;
                if (section is null)
                {
                    section = new SMap();
                    root.Add(name, section);
                }
                foreach (var c in pending) section.AddComment(c);
                pending.Clear();
                continue;
            }
            var eq = line.IndexOfAny(['=', ':']);
            if (eq < 0) throw new SopsException("invalid INI line: missing '='");
            var key = line[..eq].Trim();
            var value = Unquote(line[(eq + 1)..].Trim());
            var target = EnsureDefault();
            foreach (var c in pending) target.AddComment(c);
            pending.Clear();
            target.Add(key, SScalar.Str(value));
        }
        if (pending.Count > 0)
        {
            var target = EnsureDefault();
            foreach (var c in pending) target.AddComment(c);
        }
        return root;
    }

    private static string Unquote(string v)
    {
        if (v.Length >= 6 && v.StartsWith("\"\"\"", StringComparison.Ordinal) && v.EndsWith("\"\"\"", StringComparison.Ordinal))
            return v[3..^3];
        if (v.Length >= 2 && ((v[0] == '"' && v[^1] == '"') || (v[0] == '`' && v[^1] == '`')))
            return v[1..^1];
        return v;
    }

    public static byte[] Emit(SMap root)
    {
        var sb = new StringBuilder();
        var first = true;
        foreach (var item in root.Items)
        {
            if (item.Key is null || item.Value is not SMap section) continue;
            if (item.Key == "DEFAULT" && section.Items.Count == 0) continue;
            if (!first) sb.Append('\n');
            first = false;
            var comments = section.Items.TakeWhile(i => i.Key is null).ToList();
            foreach (var c in comments) sb.Append("; ").Append(((SComment)c.Value).Text).Append('\n');
            sb.Append('[').Append(item.Key).Append("]\n");
            foreach (var entry in section.Items.Skip(comments.Count))
            {
                if (entry.Key is null)
                {
                    sb.Append("; ").Append(((SComment)entry.Value).Text).Append('\n');
                    continue;
                }
                var text = entry.Value is SScalar s ? (s.Kind == ScalarKind.Null ? "" : s.Text) : throw new SopsException("INI values must be scalars");
                if (text.Contains('\n')) text = "\"\"\"" + text + "\"\"\"";
                sb.Append(entry.Key).Append(" = ").Append(text).Append('\n');
            }
        }
        return new UTF8Encoding(false).GetBytes(sb.ToString());
    }
}

/// <summary>sops' flattening of the metadata block for dotenv and INI (<c>age__list_0__map_enc</c>).</summary>
internal static class SopsFlatten
{
    public static SMap Unflatten(IEnumerable<KeyValuePair<string, string>> flat)
    {
        var root = new SMap();
        foreach (var (key, rawValue) in flat)
        {
            var value = rawValue.Replace("\\n", "\n");
            var parts = key.Split("__");
            SNode current = root;
            for (var i = 0; i < parts.Length; i++)
            {
                var last = i == parts.Length - 1;
                var part = parts[i];
                SNode Create() => last ? SScalar.Str(value)
                    : parts[i + 1].StartsWith("list_", StringComparison.Ordinal) ? new SList() : new SMap();
                if (current is SMap m)
                {
                    var name = part.StartsWith("map_", StringComparison.Ordinal) && i > 0 ? part[4..] : part;
                    var child = m.Get(name);
                    if (child is null || last)
                    {
                        child = Create();
                        var existing = m.Items.FindIndex(x => x.Key == name);
                        if (existing >= 0) m.Items[existing].Value = child;
                        else m.Add(name, child);
                    }
                    current = child;
                }
                else if (current is SList l)
                {
                    if (!part.StartsWith("list_", StringComparison.Ordinal) || !int.TryParse(part.AsSpan(5), out var index) || index < 0 || index > 1000)
                        throw new SopsException("invalid flattened sops metadata key");
                    while (l.Items.Count <= index) l.Items.Add(SScalar.Null);
                    if (l.Items[index] is SScalar { Kind: ScalarKind.Null } || last)
                        l.Items[index] = Create();
                    current = l.Items[index];
                }
                else
                {
                    throw new SopsException("invalid flattened sops metadata key");
                }
            }
        }
        return root;
    }
}
