namespace RunbookHost.Keys.Sops;

/// <summary>File formats SOPS stores. YAML and JSON are read and written; the others are read only.</summary>
public enum SopsFormat
{
    Yaml,
    Json,
    Dotenv,
    Ini,
    Binary,
}

/// <summary>Picks the store from a file name the way sops does (by extension, binary otherwise).</summary>
public static class SopsFormatDetector
{
    public static SopsFormat FromPath(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var name = Path.GetFileName(path);
        var ext = Path.GetExtension(name).ToLowerInvariant();
        return ext switch
        {
            ".yaml" or ".yml" => SopsFormat.Yaml,
            ".json" => SopsFormat.Json,
            ".env" => SopsFormat.Dotenv,
            ".ini" => SopsFormat.Ini,
            _ => SopsFormat.Binary,
        };
    }
}
