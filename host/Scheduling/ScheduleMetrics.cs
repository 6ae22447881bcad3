using Prometheus;
using RunbookHost.Evidence;

namespace RunbookHost.Cli.Scheduling;

/// <summary>
/// What `runbook-host schedule` tells a monitoring system, per job and runbook: when it last started and last succeeded,
/// its last result, how many tenants passed, failed and were incomplete, how long it took, and the fleet proof's result.
/// Served on Schedule:MetricsAddress (loopback by default) at /metrics; deploy/prometheus-alerts.yml holds example rules.
/// </summary>
internal sealed class ScheduleMetrics
{
    private static readonly string[] Results = [RunOutcomes.Passed, RunOutcomes.Failed, RunOutcomes.Incomplete];
    private readonly Gauge lastStart, lastSuccess, lastResult, tenants, duration, fleetProof;
    private readonly Counter firings;

    public ScheduleMetrics()
    {
        Registry = Metrics.NewCustomRegistry();
        var factory = Metrics.WithCustomRegistry(Registry);
        lastStart = factory.CreateGauge("runbookhost_job_last_start_timestamp_seconds", "When the job last started (Unix time).", "job", "runbook");
        lastSuccess = factory.CreateGauge("runbookhost_job_last_success_timestamp_seconds", "When the job last finished with every tenant passed (Unix time).", "job", "runbook");
        lastResult = factory.CreateGauge("runbookhost_job_last_result", "1 for the job's last result (passed, failed or incomplete), 0 for the others.", "job", "runbook", "result");
        tenants = factory.CreateGauge("runbookhost_job_last_tenants", "Tenants of the job's last firing, by outcome.", "job", "runbook", "outcome");
        duration = factory.CreateGauge("runbookhost_job_last_duration_seconds", "How long the job's last firing took.", "job", "runbook");
        fleetProof = factory.CreateGauge("runbookhost_job_last_fleet_proof", "1 for the last fleet-wide proof's result (passed, failed, incomplete), 0 for the others; absent when the job has none.", "job", "runbook", "result");
        firings = factory.CreateCounter("runbookhost_job_firings_total", "Firings of the job, by result.", "job", "runbook", "result");
    }

    public CollectorRegistry Registry { get; }

    public void Started(ScheduledJob job, DateTimeOffset at) => lastStart.WithLabels(job.Name, job.Runbook).Set(at.ToUnixTimeMilliseconds() / 1000.0);

    public void Finished(FiringSummary summary)
    {
        string[] labels = [summary.Job, summary.Runbook];
        foreach (var result in Results)
            lastResult.WithLabels([.. labels, result]).Set(result == summary.Result ? 1 : 0);
        if (summary.Result == RunOutcomes.Passed)
            lastSuccess.WithLabels(labels).Set(summary.FinishedAt.ToUnixTimeMilliseconds() / 1000.0);
        tenants.WithLabels([.. labels, RunOutcomes.Passed]).Set(summary.Passed);
        tenants.WithLabels([.. labels, RunOutcomes.Failed]).Set(summary.Failed);
        tenants.WithLabels([.. labels, RunOutcomes.Incomplete]).Set(summary.Incomplete);
        tenants.WithLabels([.. labels, "skipped"]).Set(summary.Skipped.Count);
        duration.WithLabels(labels).Set((summary.FinishedAt - summary.FiredAt).TotalSeconds);
        if (summary.FleetProof is { } proof)
            foreach (var result in Results)
                fleetProof.WithLabels([.. labels, result]).Set(result == proof ? 1 : 0);
        firings.WithLabels([.. labels, summary.Result]).Inc();
    }

    /// <summary>Starts the metrics endpoint on "host:port"; the caller disposes it on shutdown.</summary>
    public IMetricServer Serve(string address)
    {
        var (host, port) = ParseAddress(address) ?? throw new UsageException($"RUNBOOKHOST_Schedule__MetricsAddress must be host:port or off");
        try
        {
            return new MetricServer(host, port, "metrics/", Registry).Start();
        }
        catch (System.Net.HttpListenerException error)
        {
            throw new UsageException($"cannot serve metrics on {address}: {error.Message}; set RUNBOOKHOST_Schedule__MetricsAddress to a free host:port, or off");
        }
    }

    /// <summary>"127.0.0.1:9464" → (host, port); null when malformed.</summary>
    public static (string Host, int Port)? ParseAddress(string address)
    {
        var colon = address.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(address.AsSpan(colon + 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var port)
            || port is < 1 or > 65535)
            return null;
        var host = address[..colon].Trim('[', ']');
        return host.Length == 0 || host.Any(c => char.IsWhiteSpace(c) || c is '/' or '?' or '#') ? null : (host, port);
    }
}
