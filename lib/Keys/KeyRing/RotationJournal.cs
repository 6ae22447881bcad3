using System.Text.Json;
using System.Text.Json.Serialization;
using RunbookHost.IO;

namespace RunbookHost.Keys.KeyRing;

/// <summary>
/// <c>rotation.json</c>: written (atomically) before a rotation touches any key file and removed as its
/// last step, so a re-run knows a rotation is unfinished and which key was the old one. Public data only.
/// </summary>
public sealed record RotationJournal(
    [property: JsonPropertyName("reason")] string Reason,
    [property: JsonPropertyName("old_public_key")] string OldPublicKey,
    [property: JsonPropertyName("started_at")] DateTimeOffset StartedAt)
{
    private static readonly JsonSerializerOptions Options = new() { WriteIndented = true };

    internal static RotationJournal? Read(string path)
    {
        if (!File.Exists(path))
            return null;
        try
        {
            return JsonSerializer.Deserialize<RotationJournal>(File.ReadAllBytes(path), Options)
                ?? throw new KeyRingException($"{Path.GetFileName(path)} is empty");
        }
        catch (JsonException)
        {
            throw new KeyRingException($"{Path.GetFileName(path)} is not a valid rotation journal; inspect it before retrying");
        }
    }

    internal void Write(string path) =>
        AtomicFile.Write(path, JsonSerializer.SerializeToUtf8Bytes(this, Options), AtomicFile.PrivateFile);
}
