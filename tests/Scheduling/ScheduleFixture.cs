using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json.Nodes;
using Npgsql;
using RunbookHost.Registry;
using RunbookHost.Tenants;
using RunbookHost.Tests.Host;
using RunbookHost.Tests.Registry;
using RunbookHost.Tests.Support;

namespace RunbookHost.Tests.Scheduling;

/// <summary>Small runbooks for scheduled jobs.</summary>
internal static class ScheduleRunbooks
{
    public const string Tick = """
        // @runbook  tick
        // @version  1.0.0
        // @summary  Passes for every tenant
        await Step("1. tick", new RunbookOperation(new[] { $"tick {Tenant.Value}" }, _ => Task.CompletedTask));
        await Checks("2. check", CheckOperation.Fixed(new RunbookHost.Evidence.CheckRecord("engine", "ticked", "PASS", default, true)));
        return new { tenant = Tenant.Value };
        """;

    /// <summary>Fails for the tenant named by FAIL_TENANT, passes for the others.</summary>
    public const string FailsForOne = """
        // @runbook  fails-for-one
        // @version  1.0.0
        // @summary  Fails for one tenant only
        await Step("1. maybe fail", new RunbookOperation(new[] { "maybe fail" }, _ =>
            Tenant.Value == Environment.GetEnvironmentVariable("FAIL_TENANT") ? throw new InvalidOperationException("this tenant is broken") : Task.CompletedTask));
        return null;
        """;

    /// <summary>Takes a few seconds, so a shutdown arrives while it runs.</summary>
    public const string Slow = """
        // @runbook  slow
        // @version  1.0.0
        // @summary  Sleeps before it passes
        await Step("1. sleep", new RunbookOperation(new[] { "sleep 4s" }, _ => Task.Delay(4000)));
        return null;
        """;

    /// <summary>Stand-ins for the product runbooks the default jobs name.</summary>
    public const string Verify = """
        // @runbook  verify
        // @version  1.0.0
        // @summary  Stand-in verify
        return null;
        """;

    public const string RotateKeys = """
        // @runbook  rotate-keys
        // @version  1.0.0
        // @summary  Stand-in rotate-keys
        // @param    reason  required  allowed=scheduled|emergency|personnel  Why the key is rotated
        return Param("reason");
        """;

    public const string PurgeArchivedKeys = """
        // @runbook  purge-archived-keys
        // @version  1.0.0
        // @summary  Stand-in purge-archived-keys
        return null;
        """;
}

/// <summary>
/// A scratch host folder (<see cref="HostProcess"/>) wired to a registry on its own throwaway database
/// (RUNBOOKHOST_Registry__Database=test_schedule_…), dropped on dispose.
/// </summary>
public sealed class ScheduleHost : IAsyncDisposable
{
    public ScheduleHost(TenantRegistry? registry = null)
    {
        Registry = registry ?? new TenantRegistry(TestServers.PostgresAdmin, TestServers.NewDatabaseName("test_schedule"));
        Host.Environment["RUNBOOKHOST_Postgres__AdminConnectionString"] = TestServers.PostgresAdmin;
        Host.Environment["RUNBOOKHOST_Registry__Database"] = Registry.Database;
        Host.Environment["RUNBOOKHOST_Redis__Enabled"] = "false";
        // Several schedulers run at once in these tests; the metrics endpoint has tests of its own.
        Host.Environment["RUNBOOKHOST_Schedule__MetricsAddress"] = "off";
    }

    public HostProcess Host { get; } = new();
    public TenantRegistry Registry { get; }

    /// <summary>Configures job <paramref name="index"/> through RUNBOOKHOST_Schedule__Jobs__N__* variables.</summary>
    public void Job(int index, string name, string runbook, string cron, string tenants, params (string Key, string Value)[] parameters)
    {
        var prefix = $"RUNBOOKHOST_Schedule__Jobs__{index}__";
        Host.Environment[prefix + "Name"] = name;
        Host.Environment[prefix + "Runbook"] = runbook;
        Host.Environment[prefix + "Cron"] = cron;
        Host.Environment[prefix + "Tenants"] = tenants;
        foreach (var (key, value) in parameters)
            Host.Environment[prefix + "Params__" + key] = value;
    }

    /// <summary>Registers <paramref name="count"/> new active tenants directly in the registry; returns their ids, sorted.</summary>
    public async Task<IReadOnlyList<TenantId>> RegisterActive(int count)
    {
        await Registry.EnsureSchemaAsync();
        var tenants = new List<TenantId>();
        for (var i = 0; i < count; i++)
        {
            var tenant = TestServers.NewTenantId();
            await Registry.RegisterAsync(tenant, TenantStatus.Active);
            tenants.Add(tenant);
        }
        return tenants.OrderBy(t => t.Value, StringComparer.Ordinal).ToList();
    }

    /// <summary>The SCHEDULED_JOB audit events, oldest first, as JSON.</summary>
    public async Task<IReadOnlyList<JsonNode>> ScheduledJobEvents() =>
        (await Registry.ListAuditAsync(null, 10_000)).Where(e => e.EventType == "SCHEDULED_JOB").Reverse()
            .Select(e => JsonNode.Parse(e.Details)!).ToList();

    /// <summary>runbook_runs rows: (runbook, tenant, status).</summary>
    public async Task<IReadOnlyList<(string Runbook, string? Tenant, string Status)>> Runs()
    {
        await using var conn = new NpgsqlConnection(Registry.ConnectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand("SELECT runbook, tenant_id, status FROM runbook_runs ORDER BY started_at", conn);
        await using var reader = await cmd.ExecuteReaderAsync();
        var rows = new List<(string, string?, string)>();
        while (await reader.ReadAsync())
            rows.Add((reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetString(1), reader.GetString(2)));
        return rows;
    }

    public async ValueTask DisposeAsync()
    {
        Host.Dispose();
        await RegistryDatabase.Drop(Registry);
    }
}

/// <summary>`runbook-host schedule` running in the background, as systemd runs it; stopped with SIGTERM.</summary>
public sealed class BackgroundHost : IDisposable
{
    private readonly Process process;
    private readonly StringBuilder output = new();

    public BackgroundHost(HostProcess host, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = host.WorkDir,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(HostProcess.HostDll);
        foreach (var arg in args)
            start.ArgumentList.Add(arg);
        start.Environment["RUNBOOKHOST_Paths__Secrets"] = host.SecretsDir;
        start.Environment["RUNBOOKHOST_Paths__Evidence"] = host.EvidenceDir;
        start.Environment["RUNBOOKHOST_Paths__Cache"] = Path.Combine(host.WorkDir, ".cache", "runbooks");
        start.Environment["RUNBOOKHOST_Paths__Logs"] = Path.Combine(host.WorkDir, ".cache", "logs");
        start.Environment["RUNBOOKHOST_Redis__Configuration"] = "";
        foreach (var (key, value) in host.Environment)
            start.Environment[key] = value;
        process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public string Output { get { lock (output) return output.ToString(); } }

    public async Task WaitForOutput(string text, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!Output.Contains(text, StringComparison.Ordinal))
        {
            if (process.HasExited || DateTime.UtcNow > deadline)
                throw new TimeoutException($"'{text}' never appeared; output so far:\n{Output}");
            await Task.Delay(100);
        }
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int signal);

    private const int SigTerm = 15;

    /// <summary>Sends SIGTERM (what systemd sends) and waits for the process to exit; returns its exit code.</summary>
    public async Task<int> Terminate(TimeSpan timeout)
    {
        if (!process.HasExited)
            Assert.Equal(0, kill(process.Id, SigTerm));
        using var cts = new CancellationTokenSource(timeout);
        await process.WaitForExitAsync(cts.Token);
        return process.ExitCode;
    }

    public void Dispose()
    {
        if (!process.HasExited)
            process.Kill(entireProcessTree: true);
        process.Dispose();
    }
}
