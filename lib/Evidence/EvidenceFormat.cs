using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace RunbookHost.Evidence;

/// <summary>The fixed names and shapes of evidence files (docs/evidence.md describes them for auditors).</summary>
public static class EvidenceFormat
{
    public const string PayloadType = "application/vnd.in-toto+json";
    public const string StatementType = "https://in-toto.io/Statement/v1";
    /// <summary>The predicate type of evidence files written today.</summary>
    public const string PredicateType = PredicateTypeV2;
    public const string PredicateTypeV2 = "https://runbook-host.dev/evidence/v2";
    /// <summary>Files written before v2: still verified (no scope, outcome, sequence, check status or step).</summary>
    public const string PredicateTypeV1 = "https://runbook-host.dev/evidence/v1";
    /// <summary>A scope's chain head (<see cref="ChainHead"/>), in `_heads/&lt;chain&gt;.json`.</summary>
    public const string HeadPredicateType = "https://runbook-host.dev/evidence-head/v1";
    /// <summary>Every chain head in one signed document, for the operator to publish (`evidence heads`).</summary>
    public const string PublishedHeadsPredicateType = "https://runbook-host.dev/evidence-heads/v1";
    /// <summary>A signing-key rotation: the old key endorses the new one (`_keys/&lt;old key id&gt;.rotation.json`).</summary>
    public const string KeyRotationPredicateType = "https://runbook-host.dev/evidence-key-rotation/v1";
    public const string PrivateKeyFileName = "evidence-signing-key.pem";
    public const string PublicKeyFileName = "signing-key.pub.pem";
    public const string Masked = "***";
    /// <summary>The evidence "tenant" of fleet-wide proofs (`run verify --all-tenants`): not a valid tenant id, so it never collides.</summary>
    public const string FleetScope = "_fleet";
    /// <summary>Folder of the signed chain heads, one `&lt;chain&gt;.json` per scope; no tenant id starts with '_'.</summary>
    public const string HeadsFolder = "_heads";
    /// <summary>Folder of every signing public key (`&lt;key id&gt;.pub.pem`) and the rotation statements.</summary>
    public const string KeysFolder = "_keys";
    /// <summary>The writer's per-scope lock file (in the scope's folder).</summary>
    public const string LockFileName = ".lock";

    /// <summary>UTC, fixed width, so ordinal order of file names is time order: 20261127T211500.123Z.</summary>
    internal const string FileTimestampFormat = "yyyyMMdd'T'HHmmss.fff'Z'";
    internal const int FileTimestampLength = 20;

    /// <summary>UTC, fixed width (7 fractional digits), so lexical order is time order and it round-trips.</summary>
    internal const string PayloadTimestampFormat = "yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'";

    private static readonly string[] SecretWords = ["password", "passwd", "pwd", "secret", "token", "key", "credential", "private"];

    /// <summary>True when a parameter name looks like it carries a secret (its value is then written as "***").</summary>
    public static bool LooksSecret(string parameterName) =>
        SecretWords.Any(word => parameterName.Contains(word, StringComparison.OrdinalIgnoreCase));

    internal static string FormatPayloadTimestamp(DateTimeOffset value) =>
        value.UtcDateTime.ToString(PayloadTimestampFormat, CultureInfo.InvariantCulture);

    internal static bool TryParsePayloadTimestamp(string? text, out DateTimeOffset value) =>
        DateTimeOffset.TryParseExact(text, PayloadTimestampFormat, CultureInfo.InvariantCulture,
            DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out value);

    internal static bool TryParseFileTimestamp(ReadOnlySpan<char> text, out DateTimeOffset value) =>
        DateTimeOffset.TryParseExact(text, FileTimestampFormat, CultureInfo.InvariantCulture,
            DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out value);

    internal static string FormatFileTimestamp(DateTimeOffset value) =>
        value.UtcDateTime.ToString(FileTimestampFormat, CultureInfo.InvariantCulture);

    /// <summary>
    /// The runbook name as it appears in a file name: characters outside [A-Za-z0-9._-] become '-',
    /// a leading '.' becomes '-', at most 64 characters. Never a path separator, never "..".
    /// </summary>
    internal static string FileSafeRunbookName(string runbook)
    {
        var builder = new StringBuilder(Math.Min(runbook.Length, 64));
        foreach (var c in runbook.AsSpan(0, Math.Min(runbook.Length, 64)))
            builder.Append(c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or (>= '0' and <= '9') or '.' or '_' or '-' ? c : '-');
        if (builder.Length == 0)
            return "runbook";
        if (builder[0] == '.')
            builder[0] = '-';
        return builder.ToString();
    }

    /// <summary>`&lt;timestamp&gt;-&lt;runbook&gt;.json` for n = 1, `&lt;timestamp&gt;-&lt;runbook&gt;_n.json` after that.</summary>
    internal static string FileName(DateTimeOffset startedAt, string runbook, int n = 1) =>
        n <= 1
            ? $"{FormatFileTimestamp(startedAt)}-{FileSafeRunbookName(runbook)}.json"
            : string.Create(CultureInfo.InvariantCulture, $"{FormatFileTimestamp(startedAt)}-{FileSafeRunbookName(runbook)}_{n}.json");

    /// <summary>Whether <paramref name="fileName"/> is a name the writer could have given this run.</summary>
    internal static bool FileNameMatches(string fileName, DateTimeOffset startedAt, string runbook)
    {
        var stem = $"{FormatFileTimestamp(startedAt)}-{FileSafeRunbookName(runbook)}";
        if (fileName == stem + ".json")
            return true;
        if (!fileName.StartsWith(stem + "_", StringComparison.Ordinal) || !fileName.EndsWith(".json", StringComparison.Ordinal))
            return false;
        var counter = fileName.AsSpan(stem.Length + 1, fileName.Length - stem.Length - 1 - ".json".Length);
        return counter.Length is > 0 and <= 9 && counter[0] != '0' && counter.IndexOfAnyExceptInRange('0', '9') < 0
            && int.Parse(counter, CultureInfo.InvariantCulture) >= 2;
    }

    /// <summary>Evidence files are the non-hidden `*.json` files of a tenant folder.</summary>
    internal static bool IsEvidenceFileName(string fileName) =>
        fileName.EndsWith(".json", StringComparison.Ordinal) && !fileName.StartsWith('.');

    /// <summary>A chain's folder name: a tenant id, or <see cref="FleetScope"/>.</summary>
    public static bool IsChainName(string name) => name == FleetScope || RunbookHost.Tenants.TenantId.TryParse(name, out _, out _);

    /// <summary>Temporary files of <see cref="CreateOnlyFile"/> and AtomicFile: `.&lt;name&gt;.&lt;32 hex&gt;.tmp`.</summary>
    internal static bool IsWriterTempFile(string fileName) =>
        fileName.StartsWith('.') && fileName.EndsWith(".tmp", StringComparison.Ordinal);

    public static string Sha256Hex(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    internal static bool IsSha256Hex(string? value) =>
        value is { Length: 64 } && value.AsSpan().IndexOfAnyExcept("0123456789abcdef") < 0;

    /// <summary>Canonical envelope bytes: compact JSON in this exact member order, then one newline.</summary>
    internal static byte[] SerializeEnvelope(string payloadType, ReadOnlySpan<byte> payload, string keyId, ReadOnlySpan<byte> signature)
    {
        using var buffer = new MemoryStream();
        // Relaxed escaping keeps base64's '+' literal (the default writes \u002B); every value here is ASCII.
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            writer.WriteStartObject();
            writer.WriteString("payloadType", payloadType);
            writer.WriteString("payload", Convert.ToBase64String(payload));
            writer.WriteStartArray("signatures");
            writer.WriteStartObject();
            writer.WriteString("keyid", keyId);
            writer.WriteString("sig", Convert.ToBase64String(signature));
            writer.WriteEndObject();
            writer.WriteEndArray();
            writer.WriteEndObject();
        }
        buffer.WriteByte((byte)'\n');
        return buffer.ToArray();
    }
}
