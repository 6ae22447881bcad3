using System.Globalization;
using System.Text;

namespace RunbookHost.Keys.Sops;

/// <summary>Walks an encrypted tree, decrypting every value under its AAD and hashing leaves into the MAC as sops does.</summary>
public static partial class Sops
{
    private sealed class DecryptWalker(byte[] dataKey, SopsSelectors selectors) : Walker(dataKey, selectors)
    {
        public List<DecryptedLeaf> Leaves { get; } = [];

        public void WalkMap(SMap map, List<string> path)
        {
            var level = PushLevel();
            foreach (var item in map.Items)
            {
                if (item.Key is null)
                {
                    var comment = (SComment)item.Value;
                    level.Add(comment.Text);
                    DecryptComment(comment, path);
                    continue;
                }
                path.Add(item.Key);
                item.Value = WalkValue(item.Value, path);
                path.RemoveAt(path.Count - 1);
                level.Clear();
            }
            PopLevel();
        }

        /// <summary>
        /// sops leaves a comment that does not decrypt as it is (older files have clear comments).
        /// The AAD is the holding mapping's path; ancestors are tried too, since YAML parsers may
        /// attach a trailing comment to a different level.
        /// </summary>
        private void DecryptComment(SComment comment, List<string> path)
        {
            var text = comment.Text.Trim();
            if (!SopsCipher.LooksEncrypted(text) || !Selectors.ShouldEncrypt(path, Comments, isComment: true)) return;
            for (var depth = path.Count; depth >= 0; depth--)
            {
                try
                {
                    var plain = SopsCipher.Decrypt(text, DataKey, Aad(path.GetRange(0, depth)), "comment", out _);
                    comment.Text = Encoding.UTF8.GetString(plain);
                    return;
                }
                catch (SopsException)
                {
                    // try the next level up
                }
            }
        }

        private SNode WalkValue(SNode node, List<string> path)
        {
            switch (node)
            {
                case SMap m:
                    WalkMap(m, path);
                    return m;
                case SList l:
                    var level = PushLevel();
                    for (var i = 0; i < l.Items.Count; i++)
                    {
                        if (l.Items[i] is SComment c)
                        {
                            level.Add(c.Text);
                            DecryptComment(c, path);
                            continue;
                        }
                        l.Items[i] = WalkValue(l.Items[i], path);
                        level.Clear();
                    }
                    PopLevel();
                    return l;
                case SScalar { Kind: ScalarKind.Null } s:
                    return s;
                case SScalar s:
                    var encrypted = Selectors.ShouldEncrypt(path, Comments, isComment: false);
                    if (!encrypted || (s.Kind == ScalarKind.Str && s.Text.Length == 0))
                    {
                        Hash(encrypted, s.ToBytes());
                        return s;
                    }
                    var aad = Aad(path);
                    if (s.Kind != ScalarKind.Str)
                        throw new SopsException($"value at '{aad}' should be encrypted but is not");
                    var plain = SopsCipher.Decrypt(s.Text, DataKey, aad, aad, out var type);
                    var value = FromPlaintext(plain, type, aad);
                    Hash(true, value.Raw ?? value.ToBytes());
                    Leaves.Add(new DecryptedLeaf(aad, type, value.Text));
                    return value;
                default:
                    throw new SopsException("unexpected node in tree");
            }
        }

        private static SScalar FromPlaintext(byte[] plain, string type, string where)
        {
            var text = Encoding.UTF8.GetString(plain);
            try
            {
                return type switch
                {
                    "str" or "bytes" => SScalar.StrRaw(plain),
                    "int" => SScalar.Int(long.Parse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture)),
                    "float" => SScalar.Float(double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture)),
                    "bool" => SScalar.Bool(SopsNumbers.ParseGoBool(text)),
                    "time" => SopsYamlScalars.TryParseTimestamp(text, out var t) ? SScalar.Time(t) : throw new FormatException(),
                    _ => throw new SopsException($"value at '{where}' has unknown type '{type}'"),
                };
            }
            catch (Exception e) when (e is FormatException or OverflowException)
            {
                throw new SopsException($"value at '{where}' does not match its type '{type}'");
            }
        }
    }
}
