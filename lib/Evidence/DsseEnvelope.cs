using System.Text.Json;

namespace RunbookHost.Evidence;

/// <summary>
/// A parsed DSSE envelope with exactly one signature, as runbook-host writes them (evidence files, chain heads,
/// published heads, key rotations). <see cref="Parse"/> accepts only canonical base64, and
/// <see cref="IsCanonical"/> tells whether the bytes are exactly what the writer produces.
/// </summary>
public sealed record DsseEnvelope(string PayloadType, byte[] Payload, string KeyId, byte[] Signature)
{
    /// <summary>The envelope, or null with <paramref name="problem"/> saying what is wrong ("malformed DSSE envelope: …").</summary>
    public static DsseEnvelope? Parse(ReadOnlySpan<byte> bytes, out string problem)
    {
        problem = "";
        try
        {
            var reader = new Utf8JsonReader(bytes);
            using var document = JsonDocument.ParseValue(ref reader);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                return Malformed(out problem, "not a JSON object");
            if (!Json.TryString(root, "payloadType", out var payloadType) || !Json.TryString(root, "payload", out var payloadText))
                return Malformed(out problem, "payloadType or payload missing");
            if (!root.TryGetProperty("signatures", out var signatures) || signatures.ValueKind != JsonValueKind.Array
                || signatures.GetArrayLength() != 1 || signatures[0].ValueKind != JsonValueKind.Object)
                return Malformed(out problem, "signatures must hold exactly one signature");
            if (!Json.TryString(signatures[0], "keyid", out var keyId) || !Json.TryString(signatures[0], "sig", out var sigText))
                return Malformed(out problem, "signature keyid or sig missing");
            if (!TryStrictBase64(payloadText, out var payload))
                return Malformed(out problem, "payload is not canonical base64");
            if (!TryStrictBase64(sigText, out var signature))
                return Malformed(out problem, "sig is not canonical base64");
            return new DsseEnvelope(payloadType, payload, keyId, signature);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            return Malformed(out problem, "not valid JSON (or not UTF-8)");
        }
    }

    /// <summary>The PAE bytes the signature covers.</summary>
    public byte[] Pae() => DssePae.Encode(PayloadType, Payload);

    /// <summary>True when <paramref name="bytes"/> are exactly the writer's serialization of this envelope (even whitespace counts).</summary>
    public bool IsCanonical(ReadOnlySpan<byte> bytes) =>
        bytes.SequenceEqual(EvidenceFormat.SerializeEnvelope(PayloadType, Payload, KeyId, Signature));

    private static DsseEnvelope? Malformed(out string problem, string why)
    {
        problem = $"malformed DSSE envelope: {why}";
        return null;
    }

    /// <summary>Rejects base64 that decodes but is not what the writer would produce (e.g. altered padding bits).</summary>
    private static bool TryStrictBase64(string text, out byte[] bytes)
    {
        bytes = [];
        try
        {
            bytes = Convert.FromBase64String(text);
        }
        catch (FormatException)
        {
            return false;
        }
        return Convert.ToBase64String(bytes) == text;
    }
}

/// <summary>Small readers for the JSON runbook-host writes.</summary>
internal static class Json
{
    public static bool TryString(JsonElement element, string name, out string value)
    {
        value = "";
        if (element.ValueKind != JsonValueKind.Object || !element.TryGetProperty(name, out var property) || property.ValueKind != JsonValueKind.String)
            return false;
        try
        {
            value = property.GetString()!;
            return true;
        }
        catch (InvalidOperationException)
        {
            return false; // not valid UTF-8: JsonDocument checks string contents only when they are read
        }
    }

    public static bool TryLong(JsonElement element, string name, out long value)
    {
        value = 0;
        return element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var property)
            && property.ValueKind == JsonValueKind.Number && property.TryGetInt64(out value);
    }

    public static bool TryTimestamp(JsonElement element, string name, out DateTimeOffset value)
    {
        value = default;
        return TryString(element, name, out var text) && EvidenceFormat.TryParsePayloadTimestamp(text, out value);
    }
}
