using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using RunbookHost.Notifications;

namespace RunbookHost.Tests.Scheduling;

/// <summary>
/// Nightly results reach people: a scheduled firing in which one tenant fails and another is incomplete shows up on the
/// scheduler's Prometheus endpoint (a plain HTTP GET) and is POSTed, signed, to a webhook listener on loopback.
/// </summary>
public sealed class ScheduleNotificationTests
{
    private const string Mixed = """
        // @runbook  mixed
        // @version  1.0.0
        // @summary  Fails for FAIL_TENANT, cannot verify INCOMPLETE_TENANT, passes for the others
        await Step("1. maybe fail", new RunbookOperation(new[] { "maybe fail" }, _ =>
            Tenant.Value == Environment.GetEnvironmentVariable("FAIL_TENANT") ? throw new InvalidOperationException("this tenant is broken") : Task.CompletedTask));
        await Checks("2. probe", CheckOperation.Fixed(Tenant.Value == Environment.GetEnvironmentVariable("INCOMPLETE_TENANT")
            ? RunbookHost.Evidence.CheckRecord.Incomplete("probe", "reachable", "the probe target is down")
            : new RunbookHost.Evidence.CheckRecord("probe", "reachable", "PASS", default, true)));
        return null;
        """;

    [Fact]
    public async Task AFailedAndAnIncompleteTenantReachTheMetricsEndpointAndTheSignedWebhook()
    {
        await using var schedule = new ScheduleHost();
        schedule.Host.WriteRunbook("mixed.csx", Mixed);
        await schedule.Host.Lock();
        var tenants = await schedule.RegisterActive(3);
        using var webhook = new WebhookListener();
        var metricsPort = FreePort();
        schedule.Host.Environment["FAIL_TENANT"] = tenants[0].Value;
        schedule.Host.Environment["INCOMPLETE_TENANT"] = tenants[1].Value;
        schedule.Host.Environment["RUNBOOKHOST_Schedule__MetricsAddress"] = $"127.0.0.1:{metricsPort}";
        schedule.Host.Environment["RUNBOOKHOST_Schedule__WebhookUrl"] = webhook.Url;
        schedule.Host.Environment["RUNBOOKHOST_Schedule__WebhookSecret"] = "webhook-secret-never-logged";
        schedule.Job(0, "mixed-nightly", "mixed", "0/3 * * * * ?", "all");

        using var scheduler = new BackgroundHost(schedule.Host, "schedule");
        var delivery = await webhook.NextAsync(TimeSpan.FromSeconds(90));

        var payload = JsonNode.Parse(delivery.Body)!;
        Assert.Equal("mixed-nightly", payload["job"]!.GetValue<string>());
        Assert.Equal("failed", payload["result"]!.GetValue<string>());
        Assert.Equal(tenants[0].Value, Assert.Single(payload["failed_tenants"]!.AsArray())!.GetValue<string>());
        Assert.Equal(tenants[1].Value, Assert.Single(payload["incomplete_tenants"]!.AsArray())!.GetValue<string>());
        Assert.Equal(WebhookNotifier.Sign("webhook-secret-never-logged", Encoding.UTF8.GetBytes(delivery.Body)), delivery.Signature);

        using var http = new HttpClient();
        var metrics = await http.GetStringAsync($"http://127.0.0.1:{metricsPort}/metrics");
        Assert.Contains("runbookhost_job_last_tenants{job=\"mixed-nightly\",runbook=\"mixed\",outcome=\"failed\"} 1", metrics);
        Assert.Contains("runbookhost_job_last_tenants{job=\"mixed-nightly\",runbook=\"mixed\",outcome=\"incomplete\"} 1", metrics);
        Assert.Contains("runbookhost_job_last_tenants{job=\"mixed-nightly\",runbook=\"mixed\",outcome=\"passed\"} 1", metrics);
        Assert.Contains("runbookhost_job_last_result{job=\"mixed-nightly\",runbook=\"mixed\",result=\"failed\"} 1", metrics);
        Assert.Contains("runbookhost_job_last_start_timestamp_seconds{job=\"mixed-nightly\",runbook=\"mixed\"}", metrics);
        Assert.DoesNotContain("runbookhost_job_last_success_timestamp_seconds{job=\"mixed-nightly\"", metrics);

        Assert.Equal(0, await scheduler.Terminate(TimeSpan.FromSeconds(60)));
        Assert.DoesNotContain("webhook-secret-never-logged", scheduler.Output);
        Assert.DoesNotContain(webhook.Url, scheduler.Output);
        foreach (var log in Directory.EnumerateFiles(Path.Combine(schedule.Host.WorkDir, ".cache", "logs")))
            Assert.DoesNotContain("webhook-secret-never-logged", File.ReadAllText(log));
    }

    [Fact]
    public async Task AWebhookThatFailsIsRetriedWithBackoffUntilItAnswers()
    {
        using var webhook = new WebhookListener(failFirst: 2);
        using var notifier = new WebhookNotifier(new Uri(webhook.Url), "", 4, Serilog.Core.Logger.None, TimeProvider.System);
        Assert.True(await notifier.SendAsync("""{"result":"failed"}""", CancellationToken.None));
        Assert.Equal(3, webhook.Attempts);
        Assert.Null((await webhook.NextAsync(TimeSpan.FromSeconds(5))).Signature);
    }

    private static int FreePort()
    {
        using var socket = new TcpListener(IPAddress.Loopback, 0);
        socket.Start();
        return ((IPEndPoint)socket.LocalEndpoint).Port;
    }

    /// <summary>A webhook receiver on a loopback port of its own: answers 500 to the first <c>failFirst</c> posts, then 200.</summary>
    private sealed class WebhookListener : IDisposable
    {
        private readonly HttpListener listener = new();
        private readonly System.Threading.Channels.Channel<(string Body, string? Signature)> received = System.Threading.Channels.Channel.CreateUnbounded<(string, string?)>();
        private int attempts;

        public WebhookListener(int failFirst = 0)
        {
            Url = $"http://127.0.0.1:{FreePort()}/hooks/runbook-host-token-in-path/";
            listener.Prefixes.Add(Url);
            listener.Start();
            _ = Task.Run(async () =>
            {
                while (listener.IsListening)
                {
                    HttpListenerContext context;
                    try { context = await listener.GetContextAsync(); } catch (Exception e) when (e is HttpListenerException or ObjectDisposedException) { return; }
                    using var reader = new StreamReader(context.Request.InputStream, Encoding.UTF8);
                    var body = await reader.ReadToEndAsync();
                    var attempt = Interlocked.Increment(ref attempts);
                    context.Response.StatusCode = attempt <= failFirst ? 500 : 200;
                    context.Response.Close();
                    if (attempt > failFirst)
                        received.Writer.TryWrite((body, context.Request.Headers[WebhookNotifier.SignatureHeader]));
                }
            });
        }

        public string Url { get; }
        public int Attempts => Volatile.Read(ref attempts);

        public async Task<(string Body, string? Signature)> NextAsync(TimeSpan timeout)
        {
            using var cts = new CancellationTokenSource(timeout);
            return await received.Reader.ReadAsync(cts.Token);
        }

        public void Dispose() => listener.Close();
    }
}
