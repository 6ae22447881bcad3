using System.Text;

namespace RunbookHost.Keys.Sops;

/// <summary>Loading and emitting each format's store (YAML, JSON, dotenv, INI, binary).</summary>
public static partial class Sops
{
    private static List<SMap> LoadPlain(ReadOnlySpan<byte> data, SopsFormat format)
    {
        switch (format)
        {
            case SopsFormat.Yaml:
                var docs = SopsYamlStore.Load(DecodeUtf8(data));
                return docs.Count == 0 ? [new SMap()] : docs;
            case SopsFormat.Json:
                return [SopsJsonStore.Load(data)];
            case SopsFormat.Binary:
                var m = new SMap();
                m.Add("data", SScalar.StrRaw(data.ToArray()));
                return [m];
            case SopsFormat.Dotenv:
                return [SopsDotenvStore.Load(DecodeUtf8(data))];
            case SopsFormat.Ini:
                return [SopsIniStore.Load(DecodeUtf8(data))];
            default:
                throw new SopsException("unknown format");
        }
    }

    private static (List<SMap> Branches, SopsMetadata Metadata) LoadEncrypted(ReadOnlySpan<byte> data, SopsFormat format)
    {
        switch (format)
        {
            case SopsFormat.Yaml:
            case SopsFormat.Json:
            case SopsFormat.Binary:
                {
                    var branches = format == SopsFormat.Yaml ? SopsYamlStore.Load(DecodeUtf8(data)) : [SopsJsonStore.Load(data)];
                    if (branches.Count == 0)
                        throw new SopsException("sops metadata not found: the file is empty");
                    var metadata = SopsMetadata.FromTree(branches[0].Get("sops"));
                    foreach (var b in branches)
                        b.Items.RemoveAll(i => i.Key == "sops");
                    return (branches, metadata);
                }
            case SopsFormat.Dotenv:
                {
                    var map = SopsDotenvStore.Load(DecodeUtf8(data));
                    var flat = map.Items
                        .Where(i => i.Key is not null && i.Key.StartsWith(SopsDotenvStore.MetadataPrefix, StringComparison.Ordinal))
                        .Select(i => new KeyValuePair<string, string>(i.Key![SopsDotenvStore.MetadataPrefix.Length..], ((SScalar)i.Value).Text))
                        .ToList();
                    if (flat.Count == 0)
                        throw new SopsException("sops metadata not found: the file is not encrypted with sops");
                    map.Items.RemoveAll(i => i.Key is not null && i.Key.StartsWith(SopsDotenvStore.MetadataPrefix, StringComparison.Ordinal));
                    // dotenv values already had \n decoded; re-escape so Unflatten's decoding is a no-op.
                    var metadata = SopsMetadata.FromTree(SopsFlatten.Unflatten(flat.Select(kv => new KeyValuePair<string, string>(kv.Key, kv.Value.Replace("\n", "\\n")))));
                    return ([map], metadata);
                }
            case SopsFormat.Ini:
                {
                    var root = SopsIniStore.Load(DecodeUtf8(data));
                    if (root.Get("sops") is not SMap section)
                        throw new SopsException("sops metadata not found: the file is not encrypted with sops");
                    root.Items.RemoveAll(i => i.Key == "sops");
                    var flat = section.Items.Where(i => i.Key is not null)
                        .Select(i => new KeyValuePair<string, string>(i.Key!, ((SScalar)i.Value).Text));
                    return ([root], SopsMetadata.FromTree(SopsFlatten.Unflatten(flat)));
                }
            default:
                throw new SopsException("unknown format");
        }
    }

    private static byte[] EmitPlain(List<SMap> branches, SopsFormat format)
    {
        switch (format)
        {
            case SopsFormat.Yaml:
                return SopsYamlStore.Emit(branches);
            case SopsFormat.Json:
                return SopsJsonStore.Emit(branches[0]);
            case SopsFormat.Dotenv:
                return SopsDotenvStore.Emit(branches[0]);
            case SopsFormat.Ini:
                return SopsIniStore.Emit(branches[0]);
            case SopsFormat.Binary:
                if (branches[0].Get("data") is SScalar { Kind: ScalarKind.Str } data)
                    return data.ToBytes();
                throw new SopsException("binary file has no 'data' string");
            default:
                throw new SopsException("unknown format");
        }
    }

    private static byte[] EmitEncrypted(List<SMap> branches, SopsMetadata metadata, SopsFormat format)
    {
        var block = metadata.ToTree();
        var withMetadata = branches.Select(b =>
        {
            var copy = new SMap();
            copy.Items.AddRange(b.Items);
            copy.Add("sops", block);
            return copy;
        }).ToList();
        return format switch
        {
            SopsFormat.Yaml => SopsYamlStore.Emit(withMetadata),
            SopsFormat.Json or SopsFormat.Binary => SopsJsonStore.Emit(withMetadata[0]),
            _ => throw new SopsException($"writing {format} files is not supported (read only)"),
        };
    }

    private static string DecodeUtf8(ReadOnlySpan<byte> data)
    {
        try
        {
            var text = new UTF8Encoding(false, true).GetString(data);
            return text.Length > 0 && text[0] == '\uFEFF' ? text[1..] : text;
        }
        catch (DecoderFallbackException)
        {
            throw new SopsException("the file is not valid UTF-8");
        }
    }
}
