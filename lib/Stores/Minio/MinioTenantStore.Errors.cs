using Minio.Exceptions;

namespace RunbookHost.Stores.Minio;

/// <summary>How the SDK's exceptions map to S3 error codes and HTTP statuses.</summary>
public sealed partial class MinioTenantStore
{
    /// <summary>The SDK surfaces server errors as MinioException subclasses, AuthorizationException or System.NotImplementedException.</summary>
    internal static bool IsSdkError(Exception e) => e is MinioException or AuthorizationException or NotImplementedException;

    /// <summary>The S3 error code of an SDK exception (typed, or read from the server's XML error body).</summary>
    internal static string? CodeOf(Exception e)
    {
        switch (e)
        {
            case AccessDeniedException:
                return "AccessDenied";
            case BucketNotFoundException:
                return "NoSuchBucket";
            case ObjectNotFoundException:
                return "NoSuchKey";
            case ErrorResponseException r when !string.IsNullOrEmpty(r.Response?.Code):
                return r.Response.Code;
            case AuthorizationException:
                return e.Message.Contains("signature", StringComparison.OrdinalIgnoreCase) ? "SignatureDoesNotMatch" : "AuthorizationFailed";
            case NotImplementedException:
                return "NotImplemented";
            case MinioException m:
                var content = m.ServerResponse?.Content ?? "";
                var start = content.IndexOf("<Code>", StringComparison.Ordinal);
                var end = content.IndexOf("</Code>", StringComparison.Ordinal);
                if (start >= 0 && end > start)
                    return content[(start + 6)..end];
                if (m.Message.Contains("Access Denied", StringComparison.OrdinalIgnoreCase))
                    return "AccessDenied";
                return null;
            default:
                return null;
        }
    }

    private static int? StatusOf(Exception e) => e switch
    {
        MinioException { ServerResponse: { } r } => (int)r.StatusCode,
        AuthorizationException => 403,
        NotImplementedException => 501,
        _ => null,
    };

    /// <summary>A policy denial (AccessDenied, or a bodiless 403 to a HEAD) - not a signature or credential failure.</summary>
    internal static bool IsAccessDenied(Exception e)
    {
        var code = CodeOf(e);
        return code is "AccessDenied" || (code is null && StatusOf(e) == 403);
    }

    private static bool IsNotImplemented(Exception e) => CodeOf(e) is "NotImplemented" || StatusOf(e) == 501;

    /// <summary>Error code and HTTP status only: SDK messages can embed request details.</summary>
    internal static string Describe(Exception e) =>
        $"{CodeOf(e) ?? e.GetType().Name}{(StatusOf(e) is { } s ? $" (HTTP {s})" : "")}";
}
