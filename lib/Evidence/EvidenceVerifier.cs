using System.Security.Cryptography;
using System.Text.Json;

namespace RunbookHost.Evidence;

/// <summary>The verdict on one evidence file (or, with no file to name, on the path that was asked for).</summary>
public sealed record EvidenceFileResult(string Path, bool Ok, string Reason);

/// <summary>
/// Verifies evidence files: envelope form, payload type, key id, signature over the DSSE PAE,
/// Statement shape, file name against the signed content, and each tenant's chain of `previous`
/// links (order: predicate started_at, then file name).
/// </summary>
public static class EvidenceVerifier
{
    /// <summary>
    /// Verifies one file, a tenant folder, or the evidence root (every tenant subfolder). The trusted
    /// key is <paramref name="publicKeyPath"/> or else the first `signing-key.pub.pem` found in the
    /// folder, its parent, or (for a file) its grandparent. A single file's chain position is checked
    /// when it has sibling evidence files. Returns one result per file, ordered by path; a path
    /// with no evidence file at all yields one failed result for that path.
    /// </summary>
    public static IReadOnlyList<EvidenceFileResult> Verify(string fileOrFolder, string? publicKeyPath = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(fileOrFolder);
        var full = Path.GetFullPath(fileOrFolder);
        var isFile = File.Exists(full);
        if (!isFile && !Directory.Exists(full))
            return [new EvidenceFileResult(full, false, "no such file or folder")];

        var keyPath = publicKeyPath ?? FindDefaultKey(full, isFile);
        TrustedKey? trusted = null;
        string? keyProblem = null;
        if (keyPath is null)
            keyProblem = $"no trusted public key: no {EvidenceFormat.PublicKeyFileName} found near {full}; pass one explicitly";
        else
        {
            try
            {
                var key = EvidenceSigner.LoadPublicKey(keyPath);
                trusted = new TrustedKey(key, EvidenceSigner.ComputeKeyId(key));
            }
            catch (Exception e) when (e is CryptographicException or IOException or UnauthorizedAccessException or FormatException)
            {
                keyProblem = $"trusted public key {keyPath} is unusable: {e.Message}";
            }
        }

        try
        {
            List<EvidenceFileResult> results;
            if (isFile)
            {
                var folder = Path.GetDirectoryName(full)!;
                var siblings = EvidenceFiles(folder);
                results = siblings.Count > 1 && siblings.Contains(full)
                    ? VerifyTenantFolder(folder, siblings, trusted, keyProblem).Where(r => r.Path == full).ToList()
                    : [VerifyAlone(full, trusted, keyProblem)];
            }
            else
            {
                results = [];
                var own = EvidenceFiles(full);
                if (own.Count > 0)
                    results.AddRange(VerifyTenantFolder(full, own, trusted, keyProblem));
                foreach (var sub in Directory.EnumerateDirectories(full).Where(d => !Path.GetFileName(d).StartsWith('.')))
                {
                    var files = EvidenceFiles(sub);
                    if (files.Count > 0)
                        results.AddRange(VerifyTenantFolder(sub, files, trusted, keyProblem));
                }
                if (results.Count == 0)
                    return [new EvidenceFileResult(full, false, "no evidence files found")];
            }
            return results.OrderBy(r => r.Path, StringComparer.Ordinal).ToList();
        }
        finally
        {
            trusted?.Key.Dispose();
        }
    }

    private sealed record TrustedKey(ECDsa Key, string KeyId);

    /// <summary>What the chain check needs from a file whose payload could be read (signed or not).</summary>
    private sealed record Parsed(DateTimeOffset StartedAt, string? Previous, string Tenant);

    private sealed class Checked(string path, byte[]? bytes)
    {
        public string Path { get; } = path;
        public string Name => System.IO.Path.GetFileName(Path);
        public string? Sha256 { get; } = bytes is null ? null : EvidenceFormat.Sha256Hex(bytes);
        public List<string> Problems { get; } = [];
        public Parsed? Content { get; set; }
        public EvidenceFileResult Result() =>
            new(Path, Problems.Count == 0, Problems.Count == 0 ? "ok" : string.Join("; ", Problems));
    }

    private static string? FindDefaultKey(string full, bool isFile)
    {
        var folder = isFile ? Path.GetDirectoryName(full)! : full;
        for (var i = 0; i < 2 && folder is not null; i++)
        {
            var candidate = Path.Combine(folder, EvidenceFormat.PublicKeyFileName);
            if (File.Exists(candidate))
                return candidate;
            folder = Path.GetDirectoryName(folder);
        }
        return null;
    }

    private static List<string> EvidenceFiles(string folder) =>
        Directory.EnumerateFiles(folder, "*.json")
            .Where(f => EvidenceFormat.IsEvidenceFileName(Path.GetFileName(f)))
            .Select(Path.GetFullPath)
            .ToList();

    private static EvidenceFileResult VerifyAlone(string path, TrustedKey? trusted, string? keyProblem) =>
        CheckFile(path, trusted, keyProblem).Result();

    private static List<EvidenceFileResult> VerifyTenantFolder(string folder, List<string> files, TrustedKey? trusted, string? keyProblem)
    {
        var tenantFolder = Path.GetFileName(Path.TrimEndingDirectorySeparator(folder));
        var all = files.Select(f => CheckFile(f, trusted, keyProblem)).ToList();
        var byHash = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var file in all.Where(f => f.Sha256 is not null))
            byHash.TryAdd(file.Sha256!, file.Name);

        foreach (var file in all.Where(f => f.Content is not null && f.Content.Tenant != tenantFolder))
            file.Problems.Add($"belongs to tenant {file.Content!.Tenant} but is in folder {tenantFolder}");

        var ordered = all.Where(f => f.Content is not null)
            .OrderBy(f => f.Content!.StartedAt)
            .ThenBy(f => f.Name, StringComparer.Ordinal)
            .ToList();
        Checked? preceding = null;
        foreach (var file in ordered)
        {
            var previous = file.Content!.Previous;
            var expected = preceding?.Sha256;
            if (previous != expected)
            {
                var target = previous is null ? null : byHash.GetValueOrDefault(previous);
                file.Problems.Add((preceding, previous, target) switch
                {
                    (null, _, null) => $"chain: this is the tenant's first file but its previous ({previous}) is not in the folder (earlier files removed?)",
                    (null, _, _) => $"chain: this is the tenant's first file but its previous is {target} (files reordered?)",
                    (_, null, _) => $"chain: previous is null but the preceding file is {preceding.Name} (chain restarted or files inserted?)",
                    (_, _, null) => $"chain: previous ({previous}) is not in the folder; the preceding file is {preceding.Name} (a file was removed or changed?)",
                    _ => $"chain: previous is {target} but the preceding file is {preceding.Name} (files reordered?)",
                });
            }
            preceding = file;
        }
        return all.Select(f => f.Result()).ToList();
    }

    private static Checked CheckFile(string path, TrustedKey? trusted, string? keyProblem)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            var unreadable = new Checked(path, null);
            unreadable.Problems.Add($"unreadable: {e.Message}");
            return unreadable;
        }
        var result = new Checked(path, bytes);
        if (keyProblem is not null)
            result.Problems.Add(keyProblem);
        var envelope = ParseEnvelope(bytes, result.Problems);
        if (envelope is null)
            return result;
        var (payloadType, payload, keyId, signature) = envelope.Value;

        if (payloadType != EvidenceFormat.PayloadType)
            result.Problems.Add($"payloadType is not {EvidenceFormat.PayloadType}");
        if (trusted is not null)
        {
            if (keyId != trusted.KeyId)
                result.Problems.Add($"signed by key {keyId}, not by the trusted key {trusted.KeyId}");
            else if (!trusted.Key.VerifyData(DssePae.Encode(payloadType, payload), signature,
                         HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence))
                result.Problems.Add("signature does not verify (content or signature changed)");
        }
        if (!bytes.AsSpan().SequenceEqual(EvidenceFormat.SerializeEnvelope(payloadType, payload, keyId, signature)))
            result.Problems.Add("envelope bytes are not in the writer's canonical form (file edited?)");

        result.Content = ParseStatement(payload, result.Problems, out var runbook);
        if (result.Content is not null && runbook is not null
            && !EvidenceFormat.FileNameMatches(result.Name, result.Content.StartedAt, runbook))
            result.Problems.Add($"file name does not match the signed run (expected {EvidenceFormat.FileName(result.Content.StartedAt, runbook)}; renamed?)");
        return result;
    }

    private static (string PayloadType, byte[] Payload, string KeyId, byte[] Signature)? ParseEnvelope(byte[] bytes, List<string> problems)
    {
        try
        {
            using var document = JsonDocument.Parse(bytes);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                return Malformed(problems, "not a JSON object");
            if (!TryString(root, "payloadType", out var payloadType) || !TryString(root, "payload", out var payloadText))
                return Malformed(problems, "payloadType or payload missing");
            if (!root.TryGetProperty("signatures", out var signatures) || signatures.ValueKind != JsonValueKind.Array
                || signatures.GetArrayLength() != 1 || signatures[0].ValueKind != JsonValueKind.Object)
                return Malformed(problems, "signatures must hold exactly one signature");
            if (!TryString(signatures[0], "keyid", out var keyId) || !TryString(signatures[0], "sig", out var sigText))
                return Malformed(problems, "signature keyid or sig missing");
            if (!TryStrictBase64(payloadText, out var payload))
                return Malformed(problems, "payload is not canonical base64");
            if (!TryStrictBase64(sigText, out var signature))
                return Malformed(problems, "sig is not canonical base64");
            return (payloadType, payload, keyId, signature);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            return Malformed(problems, "not valid JSON (or not UTF-8)");
        }
    }

    private static (string, byte[], string, byte[])? Malformed(List<string> problems, string why)
    {
        problems.Add($"malformed DSSE envelope: {why}");
        return null;
    }

    private static bool TryString(JsonElement element, string name, out string value)
    {
        value = "";
        if (!element.TryGetProperty(name, out var property) || property.ValueKind != JsonValueKind.String)
            return false;
        value = property.GetString()!;
        return true;
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

    private static Parsed? ParseStatement(byte[] payload, List<string> problems, out string? runbook)
    {
        runbook = null;
        try
        {
            using var document = JsonDocument.Parse(payload);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                return BadStatement(problems, "not a JSON object");
            if (!TryString(root, "_type", out var type) || type != EvidenceFormat.StatementType)
                return BadStatement(problems, $"_type is not {EvidenceFormat.StatementType}");
            if (!TryString(root, "predicateType", out var predicateType) || predicateType != EvidenceFormat.PredicateType)
                return BadStatement(problems, $"predicateType is not {EvidenceFormat.PredicateType}");
            if (!root.TryGetProperty("subject", out var subject) || subject.ValueKind != JsonValueKind.Array
                || subject.GetArrayLength() == 0 || subject[0].ValueKind != JsonValueKind.Object
                || !TryString(subject[0], "name", out _)
                || !subject[0].TryGetProperty("digest", out var digest) || digest.ValueKind != JsonValueKind.Object
                || !TryString(digest, "sha256", out var sha) || !EvidenceFormat.IsSha256Hex(sha))
                return BadStatement(problems, "subject with a name and a sha256 digest missing");
            if (!root.TryGetProperty("predicate", out var predicate) || predicate.ValueKind != JsonValueKind.Object)
                return BadStatement(problems, "predicate missing");
            if (!TryString(predicate, "runbook", out var name) || !TryString(predicate, "tenant", out var tenant))
                return BadStatement(problems, "predicate runbook or tenant missing");
            if (!TryString(predicate, "started_at", out var startedText)
                || !EvidenceFormat.TryParsePayloadTimestamp(startedText, out var startedAt))
                return BadStatement(problems, "predicate started_at missing or not a UTC timestamp");
            if (!predicate.TryGetProperty("previous", out var previousElement))
                return BadStatement(problems, "predicate previous missing");
            string? previous = null;
            if (previousElement.ValueKind == JsonValueKind.String && EvidenceFormat.IsSha256Hex(previousElement.GetString()))
                previous = previousElement.GetString();
            else if (previousElement.ValueKind != JsonValueKind.Null)
                return BadStatement(problems, "predicate previous is neither null nor a sha256 hex digest");
            runbook = name;
            return new Parsed(startedAt, previous, tenant);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            return BadStatement(problems, "payload is not valid JSON (or not UTF-8)");
        }
    }

    private static Parsed? BadStatement(List<string> problems, string why)
    {
        problems.Add($"payload is not a runbook-host in-toto Statement: {why}");
        return null;
    }
}
