using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace RunbookHost.Keys.Sops;

/// <summary>Builds the tree from YamlDotNet's parsing events, keeping comments as items and refusing what sops cannot round-trip.</summary>
internal static partial class SopsYamlStore
{
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
}
