using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace RunbookHost.Stores.Minio;

/// <summary>What <c>user-info</c> / <c>list-users</c> say about an IAM user.</summary>
public sealed record MinioUserInfo(string Status, IReadOnlyList<string> Policies, IReadOnlyList<string> MemberOf);

/// <summary>
/// A client for MinIO's admin REST API (<c>/minio/admin/v3</c>), which no served .NET package covers:
/// SigV4-signed requests with the root credential; madmin-encrypted bodies where the server expects them.
/// Only the calls the tenant store needs. Thread-safe.
/// </summary>
public sealed class MinioAdminClient : IDisposable
{
    private const string Prefix = "/minio/admin/v3";
    private readonly MinioSettings _settings;
    private readonly HttpClient _http;
    private readonly bool _ownsHttp;
    private readonly TimeProvider _time;

    public MinioAdminClient(MinioSettings settings, HttpClient? http = null, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        _settings = settings;
        _ownsHttp = http is null;
        _http = http ?? new HttpClient { Timeout = TimeSpan.FromSeconds(60) };
        _time = time ?? TimeProvider.System;
    }

    /// <summary>Creates or updates (new secret) an enabled user. The secret goes encrypted; existing policy attachments stay.</summary>
    public async Task AddUserAsync(string accessKey, string secretKey, CancellationToken ct)
    {
        RequireName(accessKey, nameof(accessKey));
        if (string.IsNullOrEmpty(secretKey) || secretKey.Length < 8)
            throw new ArgumentException("a MinIO secret key has at least 8 characters", nameof(secretKey));
        var body = JsonSerializer.SerializeToUtf8Bytes(new AddUserBody(secretKey, "enabled"));
        var encrypted = MadminCrypto.Encrypt(_settings.SecretKey, body);
        Array.Clear(body);
        await SendAsync(HttpMethod.Put, "add-user", [new("accessKey", accessKey)], encrypted, "application/octet-stream", $"add-user {accessKey}", ct, secretKey).ConfigureAwait(false);
    }

    /// <summary>Removes a user; throws <see cref="MinioAdminException"/> with <see cref="MinioAdminException.NoSuchUser"/> when absent.</summary>
    public async Task RemoveUserAsync(string accessKey, CancellationToken ct)
    {
        RequireName(accessKey, nameof(accessKey));
        await SendAsync(HttpMethod.Delete, "remove-user", [new("accessKey", accessKey)], [], null, $"remove-user {accessKey}", ct).ConfigureAwait(false);
    }

    /// <summary>The user's status and attached policies, or null when no such user exists.</summary>
    public async Task<MinioUserInfo?> GetUserInfoAsync(string accessKey, CancellationToken ct)
    {
        RequireName(accessKey, nameof(accessKey));
        try
        {
            var body = await SendAsync(HttpMethod.Get, "user-info", [new("accessKey", accessKey)], [], null, $"user-info {accessKey}", ct).ConfigureAwait(false);
            return ToInfo(JsonSerializer.Deserialize<UserInfoBody>(body) ?? new UserInfoBody());
        }
        catch (MinioAdminException e) when (e.Code == MinioAdminException.NoSuchUser)
        {
            return null;
        }
    }

    /// <summary>All IAM users (the response is madmin-encrypted with the root secret).</summary>
    public async Task<IReadOnlyDictionary<string, MinioUserInfo>> ListUsersAsync(CancellationToken ct)
    {
        var encrypted = await SendAsync(HttpMethod.Get, "list-users", [], [], null, "list-users", ct).ConfigureAwait(false);
        var plain = MadminCrypto.Decrypt(_settings.SecretKey, encrypted);
        var users = JsonSerializer.Deserialize<Dictionary<string, UserInfoBody>>(plain) ?? [];
        return users.ToDictionary(u => u.Key, u => ToInfo(u.Value), StringComparer.Ordinal);
    }

    /// <summary>Creates or replaces a canned policy (plain JSON body; MinIO requires its Version).</summary>
    public async Task AddCannedPolicyAsync(string name, string policyJson, CancellationToken ct)
    {
        RequireName(name, nameof(name));
        using (JsonDocument.Parse(policyJson))
        {
            // Refuse to send something that is not JSON.
        }
        await SendAsync(HttpMethod.Put, "add-canned-policy", [new("name", name)], Encoding.UTF8.GetBytes(policyJson), "application/json", $"add-canned-policy {name}", ct).ConfigureAwait(false);
    }

    /// <summary>The policy document of a canned policy, or null when it does not exist.</summary>
    public async Task<string?> GetCannedPolicyAsync(string name, CancellationToken ct)
    {
        RequireName(name, nameof(name));
        try
        {
            var body = await SendAsync(HttpMethod.Get, "info-canned-policy", [new("name", name)], [], null, $"info-canned-policy {name}", ct).ConfigureAwait(false);
            return Encoding.UTF8.GetString(body);
        }
        catch (MinioAdminException e) when (e.IsNotFound)
        {
            return null;
        }
    }

    /// <summary>Deletes a canned policy; MinIO refuses (<see cref="MinioAdminException.PolicyInUse"/>) while it is attached.</summary>
    public async Task RemoveCannedPolicyAsync(string name, CancellationToken ct)
    {
        RequireName(name, nameof(name));
        await SendAsync(HttpMethod.Delete, "remove-canned-policy", [new("name", name)], [], null, $"remove-canned-policy {name}", ct).ConfigureAwait(false);
    }

    /// <summary>Attaches a policy to a user. Returns false when it was already attached (idempotent, not an error).</summary>
    public Task<bool> AttachPolicyAsync(string user, string policy, CancellationToken ct) => ChangePolicyAsync("attach", user, policy, ct);

    /// <summary>Detaches a policy from a user. Returns false when it was not attached (idempotent, not an error).</summary>
    public Task<bool> DetachPolicyAsync(string user, string policy, CancellationToken ct) => ChangePolicyAsync("detach", user, policy, ct);

    private async Task<bool> ChangePolicyAsync(string verb, string user, string policy, CancellationToken ct)
    {
        RequireName(user, nameof(user));
        RequireName(policy, nameof(policy));
        var body = JsonSerializer.SerializeToUtf8Bytes(new PolicyAssociation([policy], user));
        var encrypted = MadminCrypto.Encrypt(_settings.SecretKey, body);
        try
        {
            await SendAsync(HttpMethod.Post, $"idp/builtin/policy/{verb}", [], encrypted, "application/octet-stream", $"policy {verb} {policy} user={user}", ct).ConfigureAwait(false);
            return true;
        }
        catch (MinioAdminException e) when (e.Code == MinioAdminException.PolicyChangeAlreadyApplied)
        {
            return false;
        }
    }

    /// <summary>Exact wire description of an admin call, for dry runs (no secrets: encrypted bodies are described, not shown).</summary>
    public static string DescribeCall(string method, string route, string? query, string? body) =>
        $"ADMIN {method} {Prefix}/{route}{(string.IsNullOrEmpty(query) ? "" : "?" + query)}{(body is null ? "" : " body=" + body)}";

    private async Task<byte[]> SendAsync(
        HttpMethod method,
        string route,
        KeyValuePair<string, string>[] query,
        byte[] body,
        string? contentType,
        string operation,
        CancellationToken ct,
        string? extraSecret = null)
    {
        var baseUri = _settings.EndpointUri();
        var queryString = SigV4.CanonicalQuery(query);
        var builder = new UriBuilder(baseUri) { Path = baseUri.AbsolutePath.TrimEnd('/') + Prefix + "/" + route, Query = queryString };
        using var request = new HttpRequestMessage(method, builder.Uri);
        if (body.Length > 0 || method == HttpMethod.Put || method == HttpMethod.Post)
        {
            request.Content = new ByteArrayContent(body);
            if (contentType is not null)
                request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        }
        SigV4.Sign(request, body, _settings.AccessKey, _settings.SecretKey, _settings.Region, "s3", _time.GetUtcNow());

        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, ct).ConfigureAwait(false);
        }
        catch (HttpRequestException e)
        {
            throw new MinioStoreException($"MinIO admin {operation}: cannot reach {baseUri.GetLeftPart(UriPartial.Authority)} ({e.HttpRequestError})", e);
        }
        using (response)
        {
            var payload = await response.Content.ReadAsByteArrayAsync(ct).ConfigureAwait(false);
            if (response.IsSuccessStatusCode)
                return payload;
            var (code, message) = ParseError(payload, response.StatusCode);
            throw new MinioAdminException(operation, response.StatusCode, code, Scrub(message, extraSecret));
        }
    }

    private static (string Code, string Message) ParseError(byte[] payload, HttpStatusCode status)
    {
        try
        {
            var error = JsonSerializer.Deserialize<ErrorBody>(payload);
            if (error?.Code is { Length: > 0 } code)
                return (code, error.Message ?? "");
        }
        catch (JsonException)
        {
            // Not a JSON error body (a proxy, or an S3 XML error): fall through.
        }
        var text = Encoding.UTF8.GetString(payload);
        var start = text.IndexOf("<Code>", StringComparison.Ordinal);
        var end = text.IndexOf("</Code>", StringComparison.Ordinal);
        if (start >= 0 && end > start)
            return (text[(start + 6)..end], "");
        return ($"HTTP{(int)status}", "");
    }

    /// <summary>Server messages should never echo secrets; make sure of it, and keep them short.</summary>
    private string Scrub(string message, string? extraSecret)
    {
        foreach (var secret in new[] { _settings.SecretKey, extraSecret })
        {
            if (!string.IsNullOrEmpty(secret))
                message = message.Replace(secret, "***", StringComparison.Ordinal);
        }
        message = new string(message.Where(c => !char.IsControl(c)).ToArray());
        return message.Length > 300 ? message[..300] + "…" : message;
    }

    private static void RequireName(string value, string name)
    {
        if (string.IsNullOrEmpty(value) || value.Any(c => char.IsControl(c) || c == ','))
            throw new ArgumentException($"{name} is empty or contains control characters or commas", name);
    }

    private static MinioUserInfo ToInfo(UserInfoBody body) => new(
        body.Status ?? "",
        (body.PolicyName ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
        body.MemberOf ?? []);

    public void Dispose()
    {
        if (_ownsHttp)
            _http.Dispose();
    }

    private sealed record AddUserBody(
        [property: JsonPropertyName("secretKey")] string SecretKey,
        [property: JsonPropertyName("status")] string Status);

    private sealed record PolicyAssociation(
        [property: JsonPropertyName("policies")] string[] Policies,
        [property: JsonPropertyName("user")] string User);

    private sealed class UserInfoBody
    {
        [JsonPropertyName("policyName")] public string? PolicyName { get; set; }
        [JsonPropertyName("status")] public string? Status { get; set; }
        [JsonPropertyName("memberOf")] public string[]? MemberOf { get; set; }
    }

    private sealed class ErrorBody
    {
        public string? Code { get; set; }
        public string? Message { get; set; }
    }
}
