using System.Text.Json.Nodes;
using RunbookHost.Configuration;
using RunbookHost.Evidence;
using RunbookHost.Notifications;

namespace RunbookHost.Cli.Scheduling;

/// <summary>
/// Nightly results that reach people: every firing updates the Prometheus metrics, and a failed or incomplete firing is
/// POSTed to the operators' webhook (when one is configured). A delivery failure is logged, never fatal to the job.
/// </summary>
internal sealed class ScheduleNotifications(ScheduleMetrics metrics, WebhookNotifier? webhook) : IDisposable
{
    public static ScheduleNotifications Create(ScheduleSettings settings, Serilog.ILogger log, TimeProvider clock)
    {
        if (settings.WebhookUrl.Length > 0 && WebhookNotifier.Problem(settings.WebhookUrl) is { } problem)
            throw new UsageException($"RUNBOOKHOST_Schedule__WebhookUrl {problem}");
        if (settings.WebhookAttempts is < 1 or > 20)
            throw new UsageException("RUNBOOKHOST_Schedule__WebhookAttempts must be between 1 and 20");
        if (!IsOff(settings.MetricsAddress) && ScheduleMetrics.ParseAddress(settings.MetricsAddress) is null)
            throw new UsageException("RUNBOOKHOST_Schedule__MetricsAddress must be host:port (e.g. 127.0.0.1:9464) or off");
        var notifier = settings.WebhookUrl.Length == 0 ? null
            : new WebhookNotifier(new Uri(settings.WebhookUrl), settings.WebhookSecret, settings.WebhookAttempts, log, clock);
        return new ScheduleNotifications(new ScheduleMetrics(), notifier);
    }

    public static bool IsOff(string metricsAddress) => metricsAddress.Length == 0 || metricsAddress.Equals("off", StringComparison.OrdinalIgnoreCase);

    public ScheduleMetrics Metrics => metrics;

    public void Started(ScheduledJob job, DateTimeOffset at) => metrics.Started(job, at);

    public async Task Finished(FiringSummary summary, CancellationToken cancellationToken)
    {
        metrics.Finished(summary);
        if (webhook is not null && summary.Result != RunOutcomes.Passed)
            await webhook.SendAsync(Payload(summary).ToJsonString(), cancellationToken);
    }

    /// <summary>What the receiver needs to act: which job, what result, which tenants; no secret, no evidence content.</summary>
    public static JsonObject Payload(FiringSummary summary) => new()
    {
        ["event"] = "runbook-host.job.finished",
        ["job"] = summary.Job,
        ["runbook"] = summary.Runbook,
        ["result"] = summary.Result,
        ["fired_at"] = summary.FiredAt.ToUniversalTime().ToString("O"),
        ["finished_at"] = summary.FinishedAt.ToUniversalTime().ToString("O"),
        ["host"] = Environment.MachineName,
        ["tenants"] = new JsonObject
        {
            ["passed"] = summary.Passed,
            ["failed"] = summary.Failed,
            ["incomplete"] = summary.Incomplete,
            ["skipped"] = summary.Skipped.Count,
        },
        ["failed_tenants"] = new JsonArray(summary.FailedTenants.Select(t => (JsonNode?)t).ToArray()),
        ["incomplete_tenants"] = new JsonArray(summary.IncompleteTenants.Select(t => (JsonNode?)t).ToArray()),
        ["fleet_proof"] = summary.FleetProof,
        ["error"] = summary.Error,
    };

    public void Dispose() => webhook?.Dispose();
}
