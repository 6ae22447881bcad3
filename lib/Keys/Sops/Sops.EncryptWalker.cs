using System.Security.Cryptography;
using System.Text;

namespace RunbookHost.Keys.Sops;

/// <summary>Walks a plaintext tree, encrypting the values the selectors choose and hashing every leaf into the MAC.</summary>
public static partial class Sops
{
    private abstract class Walker(byte[] dataKey, SopsSelectors selectors)
    {
        protected byte[] DataKey { get; } = dataKey;
        protected SopsSelectors Selectors { get; } = selectors;
        private readonly IncrementalHash _hash = CreateHash(selectors);

        /// <summary>sops' commentsStack: per open mapping/list, the comments since its last value.</summary>
        protected List<List<string>> Comments { get; } = [];

        protected List<string> PushLevel()
        {
            var level = new List<string>();
            Comments.Add(level);
            return level;
        }

        protected void PopLevel() => Comments.RemoveAt(Comments.Count - 1);

        private static IncrementalHash CreateHash(SopsSelectors selectors)
        {
            var h = IncrementalHash.CreateHash(HashAlgorithmName.SHA512);
            if (selectors.MacOnlyEncrypted) h.AppendData(MacOnlyEncryptedInitialization);
            return h;
        }

        protected void Hash(bool encrypted, byte[] bytes)
        {
            if (!Selectors.MacOnlyEncrypted || encrypted) _hash.AppendData(bytes);
        }

        public string FinishMac() => Convert.ToHexString(_hash.GetHashAndReset());

        protected static string Aad(List<string> path) => path.Count == 0 ? ":" : string.Join(':', path) + ":";
    }

    private sealed class EncryptWalker(byte[] dataKey, SopsSelectors selectors) : Walker(dataKey, selectors)
    {
        public SMap WalkMap(SMap map, List<string> path)
        {
            var result = new SMap();
            var level = PushLevel();
            foreach (var item in map.Items)
            {
                if (item.Key is null)
                {
                    var text = ((SComment)item.Value).Text;
                    level.Add(text);
                    result.AddComment(EncryptComment(text, path));
                    continue;
                }
                path.Add(item.Key);
                result.Add(item.Key, WalkValue(item.Value, path));
                path.RemoveAt(path.Count - 1);
                level.Clear();
            }
            PopLevel();
            return result;
        }

        private string EncryptComment(string text, List<string> path) =>
            text.Length > 0 && Selectors.ShouldEncrypt(path, Comments, isComment: true)
                ? SopsCipher.Encrypt(Encoding.UTF8.GetBytes(text), "comment", DataKey, Aad(path))
                : text;

        private SNode WalkValue(SNode node, List<string> path)
        {
            switch (node)
            {
                case SMap m:
                    return WalkMap(m, path);
                case SList l:
                    var list = new SList();
                    var level = PushLevel();
                    foreach (var item in l.Items)
                    {
                        if (item is SComment c)
                        {
                            level.Add(c.Text);
                            list.Items.Add(new SComment(EncryptComment(c.Text, path)));
                            continue;
                        }
                        list.Items.Add(WalkValue(item, path));
                        level.Clear();
                    }
                    PopLevel();
                    return list;
                case SScalar { Kind: ScalarKind.Null } s:
                    return s;
                case SScalar s:
                    var encrypted = Selectors.ShouldEncrypt(path, Comments, isComment: false);
                    var bytes = s.ToBytes();
                    Hash(encrypted, bytes);
                    if (!encrypted || (s.Kind == ScalarKind.Str && bytes.Length == 0))
                        return s;
                    return SScalar.Str(SopsCipher.Encrypt(bytes, s.TypeName, DataKey, Aad(path)));
                default:
                    throw new SopsException("unexpected node in tree");
            }
        }
    }
}
