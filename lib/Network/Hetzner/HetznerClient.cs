using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;

namespace RunbookHost.Network.Hetzner;

/// <summary>
/// A typed HttpClient for the Hetzner Cloud API. Honours the rate limit: waits when RateLimit-Remaining reached 0 until
/// RateLimit-Reset, and on 429 waits until the reset (or backs off) and retries; retries 409 conflict, 423 locked and
/// 502/503/504 with exponential backoff; pages through lists. Error bodies become <see cref="HetznerApiException"/>
/// with the API's code and message. The token is only ever in the Authorization header, never in a message.
/// </summary>
public sealed class HetznerClient : IDisposable
{
    private static readonly TimeSpan MaxWait = TimeSpan.FromSeconds(60);
    private readonly HttpClient http;
    private readonly TimeProvider clock;
    private readonly int maxRetries;
    private readonly object gate = new();
    private int? remaining;
    private DateTimeOffset reset;

    public HetznerClient(HetznerSettings settings, TimeProvider clock, HttpMessageHandler? handler = null)
    {
        http = new HttpClient(handler ?? new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) })
        {
            BaseAddress = new Uri(settings.Endpoint.TrimEnd('/') + "/"),
            Timeout = TimeSpan.FromSeconds(60),
        };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", settings.Token);
        http.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("runbook-host", "1"));
        this.clock = clock;
        maxRetries = settings.MaxRetries;
    }

    /// <summary>Requests answered 429 so far (for tests and logs).</summary>
    public int RateLimited { get; private set; }

    public Task<T> GetAsync<T>(string path, CancellationToken ct) => SendAsync<T>(HttpMethod.Get, path, null, ct);

    public Task<T> PostAsync<T>(string path, object body, CancellationToken ct) => SendAsync<T>(HttpMethod.Post, path, body, ct);

    /// <summary>DELETE; the action when the API answers one (servers), null otherwise. 404 is fine (already gone).</summary>
    public async Task<HAction?> DeleteAsync(string path, CancellationToken ct)
    {
        try
        {
            return (await SendAsync<HActionResponse?>(HttpMethod.Delete, path, null, ct).ConfigureAwait(false))?.Action;
        }
        catch (HetznerApiException e) when (e.Status == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    /// <summary>Every item of a paged list (per_page 50).</summary>
    public async Task<List<TItem>> ListAsync<TPage, TItem>(string path, Func<TPage, IReadOnlyList<TItem>> items, Func<TPage, HMeta?> meta, CancellationToken ct)
    {
        var all = new List<TItem>();
        for (var page = 1; ; )
        {
            var separator = path.Contains('?') ? '&' : '?';
            var result = await GetAsync<TPage>($"{path}{separator}page={page}&per_page=50", ct).ConfigureAwait(false);
            all.AddRange(items(result));
            if (meta(result)?.Pagination?.NextPage is not int next || next <= page)
                return all;
            page = next;
        }
    }

    private async Task<T> SendAsync<T>(HttpMethod method, string path, object? body, CancellationToken ct)
    {
        for (var attempt = 0; ; attempt++)
        {
            await WaitForBudgetAsync(ct).ConfigureAwait(false);
            using var request = new HttpRequestMessage(method, path.TrimStart('/'));
            if (body is not null)
                request.Content = JsonContent.Create(body, body.GetType(), options: HetznerJson.Options);
            HttpResponseMessage response;
            try
            {
                response = await http.SendAsync(request, ct).ConfigureAwait(false);
            }
            catch (HttpRequestException) when (attempt < maxRetries)
            {
                await DelayAsync(Backoff(attempt), ct).ConfigureAwait(false);
                continue;
            }
            using (response)
            {
                Remember(response);
                if (response.IsSuccessStatusCode)
                {
                    if (response.StatusCode == HttpStatusCode.NoContent || response.Content.Headers.ContentLength == 0)
                        return default!;
                    return (await response.Content.ReadFromJsonAsync<T>(HetznerJson.Options, ct).ConfigureAwait(false))!;
                }
                var error = await ReadErrorAsync(method, path, response, ct).ConfigureAwait(false);
                if (response.StatusCode == HttpStatusCode.TooManyRequests)
                    RateLimited++;
                if (attempt >= maxRetries || !error.IsRetryable)
                    throw error;
                await DelayAsync(response.StatusCode == HttpStatusCode.TooManyRequests ? UntilReset(attempt) : Backoff(attempt), ct).ConfigureAwait(false);
            }
        }
    }

    private void Remember(HttpResponseMessage response)
    {
        lock (gate)
        {
            if (Header(response, "RateLimit-Remaining") is { } left && int.TryParse(left, NumberStyles.None, CultureInfo.InvariantCulture, out var r))
                remaining = r;
            if (Header(response, "RateLimit-Reset") is { } at && long.TryParse(at, NumberStyles.None, CultureInfo.InvariantCulture, out var unix))
                reset = DateTimeOffset.FromUnixTimeSeconds(unix);
        }
    }

    /// <summary>No request is sent while the budget is spent: wait until the announced reset.</summary>
    private async Task WaitForBudgetAsync(CancellationToken ct)
    {
        TimeSpan wait;
        lock (gate)
            wait = remaining is 0 ? reset - clock.GetUtcNow() : TimeSpan.Zero;
        if (wait > TimeSpan.Zero)
        {
            await DelayAsync(wait > MaxWait ? MaxWait : wait, ct).ConfigureAwait(false);
            lock (gate)
                remaining = null;
        }
    }

    private TimeSpan UntilReset(int attempt)
    {
        TimeSpan wait;
        lock (gate)
            wait = reset - clock.GetUtcNow();
        return wait > TimeSpan.Zero ? (wait > MaxWait ? MaxWait : wait) : Backoff(attempt);
    }

    private static TimeSpan Backoff(int attempt) => TimeSpan.FromMilliseconds(Math.Min(30_000, 500 * Math.Pow(2, attempt)));

    private Task DelayAsync(TimeSpan wait, CancellationToken ct) => Task.Delay(wait, clock, ct);

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? values.FirstOrDefault() : null;

    private static async Task<HetznerApiException> ReadErrorAsync(HttpMethod method, string path, HttpResponseMessage response, CancellationToken ct)
    {
        HError? error = null;
        try
        {
            error = (await response.Content.ReadFromJsonAsync<HErrorResponse>(HetznerJson.Options, ct).ConfigureAwait(false))?.Error;
        }
        catch (System.Text.Json.JsonException)
        {
        }
        return new HetznerApiException(response.StatusCode, error?.Code ?? "unknown_error",
            $"{method} /{path.TrimStart('/').Split('?')[0]}: {(int)response.StatusCode} {error?.Code ?? "unknown_error"}: {error?.Message ?? response.ReasonPhrase}");
    }

    public void Dispose() => http.Dispose();
}

/// <summary>The API refused a request: its HTTP status, its error code (e.g. uniqueness_error) and message.</summary>
public sealed class HetznerApiException(HttpStatusCode status, string code, string message) : Exception(message)
{
    public HttpStatusCode Status { get; } = status;
    public string Code { get; } = code;

    public bool IsRetryable => Status is HttpStatusCode.TooManyRequests or HttpStatusCode.BadGateway or HttpStatusCode.ServiceUnavailable or HttpStatusCode.GatewayTimeout
        || Code is "conflict" or "locked" or "rate_limit_exceeded" or "timeout";

    /// <summary>The API could not be used now (rate limit, outage, token): a check becomes incomplete, not failed.</summary>
    public bool IsUnavailable => IsRetryable || Status is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden || (int)Status >= 500;
}
