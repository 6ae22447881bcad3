using System.ComponentModel;
using Npgsql;
using RunbookHost.Runbooks;
using RunbookHost.Stores.Postgres;
using Spectre.Console.Cli;
using StackExchange.Redis;

namespace RunbookHost.Cli.Commands;

[Description("Show which stores and tools are configured and reachable, one line each")]
internal sealed class DoctorCommand : AsyncCommand<GlobalSettings>
{
    public override async Task<int> ExecuteAsync(CommandContext context, GlobalSettings options, CancellationToken cancellationToken)
    {
        var environment = HostEnvironment.Create(options, quiet: true);
        var settings = environment.Settings;
        var lines = new List<(string Name, bool Ok, string Detail)>
        {
            await Postgres(settings.Postgres),
            await PostgresHardening(settings.Postgres),
            await Redis(settings.Redis),
            await Minio(settings.Minio),
            await Qdrant(settings.Qdrant),
            await DoctorNats.CheckAsync(settings.Nats, cancellationToken),
            Folder("secrets", settings.Paths.Secrets),
            Folder("evidence", settings.Paths.Evidence),
            Runbooks(options.RunbooksFolder),
            Tool("age", "/usr/bin/age", "optional: runbook-host implements age natively"),
        };
        lines.Add(DoctorNotes.Network(settings));
        foreach (var (name, ok, detail) in lines)
            Console.Out.WriteLine($"{(ok ? "ok  " : "FAIL")}  {name,-10} {detail}");
        // Warnings: nothing is broken, but an operator should know (they never change the exit code).
        foreach (var (name, detail) in DoctorNotes.Warnings(settings))
            Console.Out.WriteLine($"warn  {name,-10} {detail}");
        return lines.All(l => l.Ok) ? ExitCodes.Success : ExitCodes.RunbookFailed;
    }

    private static async Task<(string, bool, string)> Postgres(RunbookHost.Configuration.PostgresSettings postgres)
    {
        if (!postgres.Enabled || postgres.AdminConnectionString.Length == 0)
            return ("postgres", true, "not configured (RUNBOOKHOST_Postgres__AdminConnectionString): its steps are skipped, and its checks incomplete for tenants that have it");
        try
        {
            var builder = new NpgsqlConnectionStringBuilder(postgres.AdminConnectionString) { Timeout = 5 };
            await using var connection = new NpgsqlConnection(builder.ConnectionString);
            await connection.OpenAsync();
            return ("postgres", true, $"{builder.Host}:{builder.Port} as {builder.Username}, server {connection.PostgreSqlVersion}, {PostgresTransport.Describe(builder)}");
        }
        catch (Exception error) when (error is NpgsqlException or TimeoutException or InvalidOperationException)
        {
            return ("postgres", false, $"unreachable: {error.Message.Split('\n')[0]}");
        }
    }

    /// <summary>Whether PUBLIC may CONNECT to postgres and template1, either way; a failure only when the hardening is on and not in force.</summary>
    private static async Task<(string, bool, string)> PostgresHardening(RunbookHost.Configuration.PostgresSettings postgres)
    {
        const string name = "pg-public";
        var setting = postgres.HardenSystemDatabases ? "on" : "off";
        if (!postgres.Enabled || postgres.AdminConnectionString.Length == 0)
            return (name, true, "not configured: skipped");
        try
        {
            var store = new PostgresTenantStore(postgres);
            var open = (await store.PublicConnectAsync()).Where(p => p.Value).Select(p => p.Key).Order(StringComparer.Ordinal).ToList();
            var databases = string.Join(", ", PostgresTenantStore.SystemDatabases);
            if (open.Count == 0)
                return (name, true, $"CONNECT on {databases} revoked from PUBLIC (RUNBOOKHOST_Postgres__HardenSystemDatabases {setting})");
            var detail = $"PUBLIC may CONNECT to {string.Join(", ", open)}: every tenant role can log in there (RUNBOOKHOST_Postgres__HardenSystemDatabases {setting}";
            return postgres.HardenSystemDatabases
                ? (name, false, detail + ", not in force yet: the next provision applies it)")
                : (name, true, detail + "; set it to true to revoke at provision)");
        }
        catch (Exception error) when (error is NpgsqlException or TimeoutException or InvalidOperationException)
        {
            return (name, false, $"cannot read pg_database: {error.Message.Split('\n')[0]}");
        }
    }

    private static async Task<(string, bool, string)> Redis(RunbookHost.Configuration.RedisSettings redis)
    {
        if (!redis.Enabled || redis.Configuration.Length == 0)
            return ("redis", true, "not configured (RUNBOOKHOST_Redis__Configuration): its steps are skipped, and its checks incomplete for tenants that have it");
        var options = ConfigurationOptions.Parse(redis.Configuration);
        options.AbortOnConnectFail = true;
        options.ConnectTimeout = 5000;
        try
        {
            await using var connection = await ConnectionMultiplexer.ConnectAsync(options);
            var latency = await connection.GetDatabase().PingAsync();
            return ("redis", true, $"{string.Join(",", options.EndPoints)} as {options.User ?? "default"}, ping {latency.TotalMilliseconds:F1} ms");
        }
        catch (Exception error) when (error is RedisException or TimeoutException)
        {
            return ("redis", false, $"unreachable: {error.Message.Split('\n')[0]}");
        }
    }

    private static async Task<(string, bool, string)> Minio(RunbookHost.Stores.Minio.MinioSettings minio)
    {
        if (!minio.Enabled || !minio.IsConfigured)
            return ("minio", true, "not configured (RUNBOOKHOST_Minio__Endpoint, __AccessKey, __SecretKey): its steps are skipped, and its checks incomplete for tenants that have it");
        try
        {
            using var store = new RunbookHost.Stores.Minio.MinioTenantStore(minio);
            // A plain (unencrypted) admin call: proves the endpoint answers and accepts the admin signature.
            _ = await store.Admin.GetUserInfoAsync("runbook-host-doctor-probe", CancellationToken.None);
            return ("minio", true, $"{minio.Endpoint}, admin API reachable as {minio.AccessKey}");
        }
        catch (Exception error)
        {
            return ("minio", false, $"unreachable: {error.Message.Split('\n')[0]}");
        }
    }

    private static async Task<(string, bool, string)> Qdrant(RunbookHost.Stores.Qdrant.QdrantSettings qdrant)
    {
        if (!qdrant.Enabled || qdrant.Endpoint.Length == 0)
            return ("qdrant", true, "not configured (RUNBOOKHOST_Qdrant__Endpoint, __ApiKey): its steps are skipped, and its checks incomplete for tenants that have it");
        try
        {
            using var store = new RunbookHost.Stores.Qdrant.QdrantTenantStore(qdrant);
            _ = await store.CollectionExistsAsync(RunbookHost.Tenants.TenantId.Parse("doctorprobe"));
            return ("qdrant", true, $"{qdrant.Endpoint}, api key accepted");
        }
        catch (Exception error)
        {
            return ("qdrant", false, $"unreachable: {error.Message.Split('\n')[0]}");
        }
    }

    private static (string, bool, string) Folder(string name, string path)
    {
        var full = Path.GetFullPath(path);
        if (!Directory.Exists(full))
            return (name, true, $"{full} (created on first run)");
        var mode = OperatingSystem.IsWindows() ? "" : $" mode {Convert.ToString((int)File.GetUnixFileMode(full), 8)}";
        return (name, true, full + mode);
    }

    private static (string, bool, string) Runbooks(string folder)
    {
        try
        {
            var catalog = new RunbookCatalog(folder);
            var runbooks = catalog.List();
            var unlocked = catalog.ListAllFiles().Count(s => catalog.ReadLock().Problem(s) is not null);
            return ("runbooks", unlocked == 0, $"{runbooks.Count} runbooks in {catalog.Root}{(unlocked == 0 ? ", all locked" : $", {unlocked} file(s) not matching runbooks.lock")}");
        }
        catch (Exception error) when (error is RunbookDefinitionException or RunbookCompileException or RunbookHost.IO.UntrustedFileException)
        {
            return ("runbooks", false, error.Message);
        }
    }

    private static (string, bool, string) Tool(string name, string path, string note) =>
        File.Exists(path) ? (name, true, path) : (name, true, $"not installed ({note})");
}
