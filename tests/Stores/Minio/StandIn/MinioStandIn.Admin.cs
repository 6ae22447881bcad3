using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using RunbookHost.Stores.Minio;

namespace RunbookHost.Tests.Stores.Minio.StandIn;

/// <summary>The admin API (/minio/admin/v3): users, canned policies, attach and detach; only root may call it.</summary>
public sealed partial class MinioStandIn
{
    private sealed class User(string secretKey)
    {
        public string SecretKey { get; set; } = secretKey;
        public bool Enabled { get; set; } = true;
        public List<string> Policies { get; } = [];
    }

    private async Task HandleAdminAsync(HttpContext ctx, string route, Dictionary<string, string> query, byte[] body)
    {
        var method = ctx.Request.Method;
        switch (method, route)
        {
            case ("PUT", "add-user"):
            {
                var accessKey = query.GetValueOrDefault("accessKey") ?? "";
                if (accessKey.Length < 3 || accessKey == RootAccessKey)
                {
                    await AdminError(ctx, 400, "XMinioAdminInvalidArgument", "Invalid arguments specified.").ConfigureAwait(false);
                    return;
                }
                if (!TryDecrypt(body, out var plain))
                {
                    await AdminError(ctx, 400, "XMinioAdminConfigBadJSON", "Unable to decrypt the request body.").ConfigureAwait(false);
                    return;
                }
                var json = JsonNode.Parse(plain)!;
                var secret = (string?)json["secretKey"] ?? "";
                if (secret.Length < 8)
                {
                    await AdminError(ctx, 400, "XMinioAdminInvalidSecretKey", "Secret key must be at least 8 characters.").ConfigureAwait(false);
                    return;
                }
                lock (_gate)
                {
                    if (_users.TryGetValue(accessKey, out var existing))
                        existing.SecretKey = secret;
                    else
                        _users[accessKey] = new User(secret);
                    _users[accessKey].Enabled = (string?)json["status"] != "disabled";
                }
                return;
            }
            case ("DELETE", "remove-user"):
            {
                bool removed;
                lock (_gate)
                    removed = _users.Remove(query.GetValueOrDefault("accessKey") ?? "");
                if (!removed)
                    await AdminError(ctx, 404, "XMinioAdminNoSuchUser", "The specified user does not exist").ConfigureAwait(false);
                return;
            }
            case ("GET", "user-info"):
            {
                JsonObject? info = null;
                lock (_gate)
                {
                    if (_users.TryGetValue(query.GetValueOrDefault("accessKey") ?? "", out var user))
                        info = UserJson(user);
                }
                if (info is null)
                    await AdminError(ctx, 404, "XMinioAdminNoSuchUser", "The specified user does not exist").ConfigureAwait(false);
                else
                    await Raw(ctx, 200, "application/json", Encoding.UTF8.GetBytes(info.ToJsonString())).ConfigureAwait(false);
                return;
            }
            case ("GET", "list-users"):
            {
                var all = new JsonObject();
                lock (_gate)
                {
                    foreach (var (name, user) in _users)
                        all[name] = UserJson(user);
                }
                await Raw(ctx, 200, "application/octet-stream", MadminCrypto.Encrypt(RootSecretKey, Encoding.UTF8.GetBytes(all.ToJsonString()))).ConfigureAwait(false);
                return;
            }
            case ("PUT", "add-canned-policy"):
            {
                var name = query.GetValueOrDefault("name") ?? "";
                // AddCannedPolicy: a Content-Length of at most 20 KiB (maxBucketPolicySize), then policy.ParseConfig.
                if (ctx.Request.ContentLength is not > 0)
                {
                    await AdminError(ctx, 411, "MissingContentLength", "You must provide the Content-Length HTTP header.").ConfigureAwait(false);
                    return;
                }
                if (ctx.Request.ContentLength > 20 * 1024)
                {
                    await AdminError(ctx, 400, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed object size.").ConfigureAwait(false);
                    return;
                }
                if (name.Length == 0 || name.Contains(',') || name.Trim() != name)
                {
                    await AdminError(ctx, 400, "XMinioAdminResourceInvalidArgument", "Policy name is invalid").ConfigureAwait(false);
                    return;
                }
                if (StandInPolicyGrammar.Problem(body) is { } problem)
                {
                    await AdminError(ctx, 400, problem.Code, problem.Message).ConfigureAwait(false);
                    return;
                }
                lock (_gate)
                    _policies[name] = Encoding.UTF8.GetString(body);
                return;
            }
            case ("GET", "info-canned-policy"):
            {
                string? doc;
                lock (_gate)
                    doc = _policies.GetValueOrDefault(query.GetValueOrDefault("name") ?? "");
                if (doc is null)
                    await AdminError(ctx, 404, "XMinioAdminNoSuchPolicy", "The canned policy does not exist").ConfigureAwait(false);
                else
                    await Raw(ctx, 200, "application/json", Encoding.UTF8.GetBytes(doc)).ConfigureAwait(false);
                return;
            }
            case ("DELETE", "remove-canned-policy"):
            {
                var name = query.GetValueOrDefault("name") ?? "";
                (int Status, string Code, string Message)? error = null;
                lock (_gate)
                {
                    // IAMStoreSys.DeletePolicy ignores errNoSuchPolicy: removing an absent policy answers 200.
                    if (_users.Values.Any(u => u.Policies.Contains(name)))
                        error = (400, "XMinioIAMPolicyInUse", "The policy cannot be removed, as it is in use");
                    else
                        _policies.Remove(name);
                }
                if (error is { } e)
                    await AdminError(ctx, e.Status, e.Code, e.Message).ConfigureAwait(false);
                return;
            }
            case ("POST", "idp/builtin/policy/attach"):
            case ("POST", "idp/builtin/policy/detach"):
            {
                // AttachDetachPolicyBuiltin: a known length within maxEConfigJSONSize, and an opaque body, so that
                // it cannot have been read as form data.
                if (ctx.Request.ContentLength is null or > 262272)
                {
                    await AdminError(ctx, 400, "XMinioAdminConfigTooLarge", "Configuration data provided exceeds the allowed maximum of 262272 bytes").ConfigureAwait(false);
                    return;
                }
                if (ctx.Request.ContentType != "application/octet-stream")
                {
                    await AdminError(ctx, 400, "BadRequest", "400 BadRequest").ConfigureAwait(false);
                    return;
                }
                if (!TryDecrypt(body, out var plain))
                {
                    await AdminError(ctx, 400, "XMinioAdminConfigBadJSON", "Unable to decrypt the request body.").ConfigureAwait(false);
                    return;
                }
                var json = JsonNode.Parse(plain)!;
                var userName = (string?)json["user"] ?? "";
                var names = (json["policies"] as JsonArray)?.Select(n => (string?)n ?? "").ToList() ?? [];
                var attach = route.EndsWith("attach", StringComparison.Ordinal);
                (int Status, string Code, string Message)? error = null;
                var changed = new List<string>();
                lock (_gate)
                {
                    if (!_users.TryGetValue(userName, out var user))
                        error = (404, "XMinioAdminNoSuchUser", "The specified user does not exist");
                    else if (names.Count == 0)
                        error = (400, "XMinioAdminInvalidArgument", "no policies given");
                    else if (attach && names.FirstOrDefault(p => !_policies.ContainsKey(p)) is { } missing)
                        error = (404, "XMinioAdminNoSuchPolicy", "The canned policy does not exist");
                    else
                    {
                        foreach (var p in names)
                        {
                            if (attach && !user.Policies.Contains(p))
                            {
                                user.Policies.Add(p);
                                changed.Add(p);
                            }
                            else if (!attach && user.Policies.Remove(p))
                            {
                                changed.Add(p);
                            }
                        }
                        if (changed.Count == 0)
                            error = (400, "XMinioAdminPolicyChangeAlreadyApplied", "The specified policy change is already in effect.");
                    }
                }
                if (error is { } e)
                {
                    await AdminError(ctx, e.Status, e.Code, e.Message).ConfigureAwait(false);
                    return;
                }
                var response = new JsonObject { [attach ? "policiesAttached" : "policiesDetached"] = new JsonArray(changed.Select(c => (JsonNode?)c).ToArray()) };
                await Raw(ctx, 200, "application/octet-stream", MadminCrypto.Encrypt(RootSecretKey, Encoding.UTF8.GetBytes(response.ToJsonString()))).ConfigureAwait(false);
                return;
            }
            default:
                await AdminError(ctx, 501, "NotImplemented", "This admin API is not emulated by the stand-in.").ConfigureAwait(false);
                return;
        }
    }

    private static JsonObject UserJson(User user) => new()
    {
        ["policyName"] = string.Join(',', user.Policies),
        ["status"] = user.Enabled ? "enabled" : "disabled",
    };

    private bool TryDecrypt(byte[] body, out byte[] plain)
    {
        try
        {
            plain = MadminCrypto.Decrypt(RootSecretKey, body);
            return true;
        }
        catch (CryptographicException)
        {
            plain = [];
            return false;
        }
    }
}
