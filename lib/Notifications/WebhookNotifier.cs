using System.Net;
using System.Security.Cryptography;
using System.Text;
using Serilog;

namespace RunbookHost.Notifications;

/// <summary>
/// Delivers a JSON document to the operators' webhook: POST, signed with HMAC-SHA256 over the body when a secret is set
/// (<c>X-RunbookHost-Signature: sha256=&lt;hex&gt;</c>, the GitHub convention), retried with exponential backoff on network
/// errors, timeouts, 408, 429 (honouring Retry-After) and 5xx. The log names only the webhook's host: URLs of chat
/// webhooks carry their token in the path, and the secret is never written anywhere.
/// </summary>
public sealed class WebhookNotifier(Uri url, string secret, int attempts, ILogger log, TimeProvider clock, HttpMessageHandler? handler = null) : IDisposable
{
    public const string SignatureHeader = "X-RunbookHost-Signature";
    public const string DeliveryHeader = "X-RunbookHost-Delivery";
    private static readonly TimeSpan FirstDelay = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan LongestDelay = TimeSpan.FromSeconds(60);

    private readonly HttpClient http = new(handler ?? new SocketsHttpHandler(), disposeHandler: true) { Timeout = TimeSpan.FromSeconds(10) };

    /// <summary>Validates a configured URL: absolute http or https. Returns why not, or null.</summary>
    public static string? Problem(string url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" && uri.Host.Length > 0
            ? null
            : "must be an absolute http:// or https:// URL";

    /// <summary>Posts <paramref name="json"/>; true when the receiver answered 2xx within the attempts. Never throws for delivery failures.</summary>
    public async Task<bool> SendAsync(string json, CancellationToken cancellationToken)
    {
        var body = Encoding.UTF8.GetBytes(json);
        var delivery = Guid.NewGuid().ToString("N");
        var delay = FirstDelay;
        for (var attempt = 1; attempt <= Math.Max(1, attempts); attempt++)
        {
            string failure;
            TimeSpan? retryAfter = null;
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new ByteArrayContent(body) };
                request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
                request.Headers.Add(DeliveryHeader, delivery);
                if (secret.Length > 0)
                    request.Headers.Add(SignatureHeader, Sign(secret, body));
                using var response = await http.SendAsync(request, cancellationToken);
                if (response.IsSuccessStatusCode)
                {
                    log.Information("webhook delivered to {WebhookHost} (attempt {Attempt}, delivery {Delivery})", url.Host, attempt, delivery);
                    return true;
                }
                failure = $"HTTP {(int)response.StatusCode}";
                if (!Retryable(response.StatusCode))
                {
                    log.Error("webhook to {WebhookHost} refused: {Failure}; not retried", url.Host, failure);
                    return false;
                }
                retryAfter = response.Headers.RetryAfter?.Delta;
            }
            catch (Exception error) when (error is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
            {
                failure = error is TaskCanceledException ? "timed out" : "connection failed";
            }
            if (attempt == attempts)
            {
                log.Error("webhook to {WebhookHost} failed after {Attempts} attempts: {Failure}", url.Host, attempts, failure);
                return false;
            }
            var wait = retryAfter is { } after && after > delay ? (after < LongestDelay ? after : LongestDelay) : delay;
            log.Warning("webhook to {WebhookHost}: {Failure}; retrying in {Seconds:0.#} s", url.Host, failure, wait.TotalSeconds);
            await Task.Delay(wait, clock, cancellationToken);
            delay = delay * 2 < LongestDelay ? delay * 2 : LongestDelay;
        }
        return false;
    }

    /// <summary>"sha256=" + lowercase hex HMAC-SHA256 of the body with the shared secret: the receiver recomputes and compares.</summary>
    public static string Sign(string secret, byte[] body) =>
        "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), body));

    private static bool Retryable(HttpStatusCode status) =>
        status is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests || (int)status >= 500;

    public void Dispose() => http.Dispose();
}
