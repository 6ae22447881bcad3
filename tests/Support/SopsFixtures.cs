using System.Text.Json;

namespace RunbookHost.Tests.Support;

/// <summary>One file of a fixture folder's manifest.json.</summary>
public sealed record SopsFixture(
    string Folder,
    string RelativePath,
    string Format,
    string SopsVersion,
    string LastModified,
    string DataKeyHex,
    string MacPlaintext,
    string? KeyFile,
    IReadOnlyDictionary<string, IReadOnlyList<(string Type, string Plaintext)>> ValuesByAad)
{
    public string FullPath => Path.Combine(SopsFixtures.Root, Folder, RelativePath);
    public string? KeyFilePath => KeyFile is null ? null : Path.Combine(SopsFixtures.Root, Folder, KeyFile);
    public byte[] DataKey => Convert.FromHexString(DataKeyHex);
    public override string ToString() => $"{Folder}/{RelativePath}";
}

/// <summary>
/// Real sops files under tests/fixtures/sops (see tests/fixtures/PROVENANCE.md), with the facts of each folder's
/// manifest.json. Missing fixtures throw: tests fail, never skip.
/// </summary>
public static class SopsFixtures
{
    private static readonly Lazy<IReadOnlyList<SopsFixture>> LazyAll = new(LoadAll);

    public static string Root => TestFixtures.Folder("sops");
    public static IReadOnlyList<SopsFixture> All => LazyAll.Value;

    public static SopsFixture Get(string folder, string relativePath) =>
        All.Single(f => f.Folder == folder && f.RelativePath == relativePath);

    private static List<SopsFixture> LoadAll()
    {
        var list = new List<SopsFixture>();
        foreach (var manifest in Directory.GetFiles(Root, "manifest.json", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            var folder = Path.GetRelativePath(Root, Path.GetDirectoryName(manifest)!);
            using var doc = JsonDocument.Parse(File.ReadAllBytes(manifest));
            foreach (var entry in doc.RootElement.EnumerateObject())
            {
                var e = entry.Value;
                var values = new Dictionary<string, IReadOnlyList<(string, string)>>(StringComparer.Ordinal);
                if (e.TryGetProperty("encrypted_values_by_aad", out var byAad))
                    foreach (var aad in byAad.EnumerateObject())
                        values[aad.Name] = aad.Value.EnumerateArray()
                            .Select(v => (v.GetProperty("type").GetString()!, v.TryGetProperty("plaintext", out var p) ? p.GetString() ?? "" : ""))
                            .ToList();
                list.Add(new SopsFixture(
                    folder,
                    entry.Name,
                    e.GetProperty("format").GetString()!,
                    e.GetProperty("sops_version").GetString()!,
                    e.GetProperty("lastmodified").GetString()!,
                    e.GetProperty("data_key_hex").GetString()!,
                    e.GetProperty("mac_plaintext").GetString()!,
                    e.TryGetProperty("key_file", out var kf) ? kf.GetString() : null,
                    values));
            }
        }
        if (list.Count == 0)
            throw new InvalidOperationException("no sops fixture manifests under " + Root);
        return list;
    }
}
