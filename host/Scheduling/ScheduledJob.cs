using System.Text.RegularExpressions;
using Quartz;
using RunbookHost.Configuration;
using RunbookHost.Registry;
using RunbookHost.Runbooks;
using RunbookHost.Tenants;

namespace RunbookHost.Cli.Scheduling;

/// <summary>How a scheduled job picks its tenants at each firing.</summary>
internal abstract record TenantSelection
{
    /// <summary>Every active tenant in the registry.</summary>
    public sealed record All : TenantSelection
    {
        public override string ToString() => "all";
    }

    /// <summary>Every tenant with one registry status.</summary>
    public sealed record WithStatus(TenantStatus Status) : TenantSelection
    {
        public override string ToString() => "status:" + Status.ToDb();
    }

    /// <summary>Active tenants whose key_rotation_due_at has passed (TenantRegistry.ListDueForRotationAsync).</summary>
    public sealed record DueForRotation : TenantSelection
    {
        public override string ToString() => "due-for-rotation";
    }

    /// <summary>Exactly these tenants; one not registered is skipped, not failed.</summary>
    public sealed record Ids(IReadOnlyList<TenantId> Tenants) : TenantSelection
    {
        public override string ToString() => "ids:" + string.Join(',', Tenants.Select(t => t.Value));
    }

    public static TenantSelection Parse(string text)
    {
        text = text.Trim();
        if (text == "all")
            return new All();
        if (text == "due-for-rotation")
            return new DueForRotation();
        if (text.StartsWith("status:", StringComparison.Ordinal))
        {
            try { return new WithStatus(TenantStatusText.Parse(text["status:".Length..])); }
            catch (FormatException) { throw new UsageException("tenants 'status:<status>' takes provisioning, active, deprovisioning, deprovisioned or failed"); }
        }
        if (text.StartsWith("ids:", StringComparison.Ordinal))
        {
            var ids = new List<TenantId>();
            foreach (var part in text["ids:".Length..].Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                if (!TenantId.TryParse(part, out var tenant, out var reason))
                    throw new UsageException($"tenants 'ids:…': {reason}");
                if (!ids.Contains(tenant))
                    ids.Add(tenant);
            }
            return ids.Count > 0 ? new Ids(ids) : throw new UsageException("tenants 'ids:' names no tenant");
        }
        throw new UsageException("tenants must be all, due-for-rotation, status:<status> or ids:<id>,<id>…");
    }
}

/// <summary>One validated job: which runbook, when (cron), for which tenants, with which parameters.</summary>
internal sealed record ScheduledJob(string Name, string Runbook, CronExpression Cron, TenantSelection Tenants, IReadOnlyList<string> Params)
{
    /// <summary>The Quartz job group every runbook-host job lives in; jobs in it that the configuration no longer names are removed at start.</summary>
    public const string Group = "runbook-host";

    public DateTimeOffset? NextFireTime(DateTimeOffset after) => Cron.GetNextValidTimeAfter(after);
}

/// <summary>Reads Schedule__Jobs (or the defaults) and validates every job before anything starts: one bad job, one line, exit 2.</summary>
internal static partial class ScheduleDefinition
{
    [GeneratedRegex(@"^[a-z0-9][a-z0-9-]{0,62}\z")]
    private static partial Regex JobName();

    /// <summary>Used when Schedule__Jobs is empty: verify nightly, rotate due keys, purge archived keys (all UTC unless Schedule__TimeZone says otherwise).</summary>
    public static IReadOnlyList<ScheduledJobSettings> Defaults { get; } =
    [
        new() { Name = "nightly-verify", Runbook = "verify", Cron = "0 0 2 * * ?", Tenants = "all" },
        new() { Name = "rotation-due", Runbook = "rotate-keys", Cron = "0 30 2 * * ?", Tenants = "due-for-rotation", Params = new() { ["reason"] = "scheduled" } },
        new() { Name = "purge-archived-keys", Runbook = "purge-archived-keys", Cron = "0 0 3 * * ?", Tenants = "all" },
    ];

    public static IReadOnlyList<ScheduledJob> Load(ScheduleSettings settings, RunbookCatalog catalog, TimeProvider clock)
    {
        var timeZone = TimeZoneOf(settings);
        if (settings.MaxConcurrentJobs is < 1 or > 32)
            throw new UsageException("RUNBOOKHOST_Schedule__MaxConcurrentJobs must be between 1 and 32");
        if (settings.CheckinIntervalSeconds is < 1 or > 300)
            throw new UsageException("RUNBOOKHOST_Schedule__CheckinIntervalSeconds must be between 1 and 300");
        if (settings.MisfireThresholdSeconds is < 1 or > 86400)
            throw new UsageException("RUNBOOKHOST_Schedule__MisfireThresholdSeconds must be between 1 and 86400");
        if (settings.ShutdownTimeoutSeconds is < 1 or > 86400)
            throw new UsageException("RUNBOOKHOST_Schedule__ShutdownTimeoutSeconds must be between 1 and 86400");
        var configured = settings.Jobs.Count > 0 ? settings.Jobs : Defaults;
        var jobs = new List<ScheduledJob>();
        for (var i = 0; i < configured.Count; i++)
        {
            var job = configured[i];
            var label = string.IsNullOrWhiteSpace(job.Name) ? $"Schedule__Jobs__{i}" : $"'{job.Name}'";
            try
            {
                jobs.Add(Validate(job, timeZone, catalog, clock));
            }
            catch (UsageException error)
            {
                throw new UsageException($"schedule job {label}: {error.Message}");
            }
        }
        var duplicate = jobs.GroupBy(j => j.Name).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
            throw new UsageException($"schedule job '{duplicate.Key}' is configured twice");
        return jobs;
    }

    public static TimeZoneInfo TimeZoneOf(ScheduleSettings settings)
    {
        try { return TimeZoneInfo.FindSystemTimeZoneById(settings.TimeZone); }
        catch (Exception error) when (error is TimeZoneNotFoundException or InvalidTimeZoneException or ArgumentException)
        {
            throw new UsageException($"RUNBOOKHOST_Schedule__TimeZone '{settings.TimeZone}' is not a known time zone");
        }
    }

    private static ScheduledJob Validate(ScheduledJobSettings job, TimeZoneInfo timeZone, RunbookCatalog catalog, TimeProvider clock)
    {
        if (!JobName().IsMatch(job.Name ?? ""))
            throw new UsageException("name must be 1-63 of a-z, 0-9 and '-'");
        if (!CronExpression.TryParse(job.Cron ?? "", out var cron) || cron is null)
            throw new UsageException($"cron '{job.Cron}' is not a valid Quartz cron expression (seconds minutes hours day-of-month month day-of-week, e.g. \"0 0 2 * * ?\")");
        cron = cron.WithTimeZone(timeZone);
        if (cron.GetNextValidTimeAfter(clock.GetUtcNow()) is null)
            throw new UsageException($"cron '{job.Cron}' never fires again");
        var tenants = TenantSelection.Parse(job.Tenants ?? "");
        var parameters = (job.Params ?? []).OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}={p.Value}").ToList();
        try
        {
            // The checks `run` makes before compiling: the runbook exists and every parameter is declared and valid.
            var source = catalog.Find(job.Runbook ?? "");
            RunbookArguments.Resolve(source.Metadata, parameters);
        }
        catch (Exception error) when (error is RunbookArgumentException or RunbookDefinitionException)
        {
            throw new UsageException(error.Message);
        }
        return new ScheduledJob(job.Name!, job.Runbook!, cron, tenants, parameters);
    }
}
