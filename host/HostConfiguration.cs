using Microsoft.Extensions.Configuration;
using Npgsql;
using RunbookHost.Configuration;

namespace RunbookHost.Cli;

/// <summary>Reads `runbook-host.json` (optional, or `--config FILE`) then `RUNBOOKHOST_*` variables, and validates the result.</summary>
internal static class HostConfiguration
{
    public const string EnvironmentPrefix = "RUNBOOKHOST_";

    public static HostSettings Load(string? configFile)
    {
        if (configFile is not null && !File.Exists(configFile))
            throw new UsageException($"configuration file not found: {configFile}");
        IConfiguration configuration;
        try
        {
            configuration = new ConfigurationBuilder()
                .AddJsonFile(Path.GetFullPath(configFile ?? "runbook-host.json"), optional: configFile is null)
                .AddEnvironmentVariables(EnvironmentPrefix)
                .Build();
        }
        catch (Exception error) when (error is FormatException or InvalidDataException or System.Text.Json.JsonException)
        {
            throw new UsageException($"configuration file is not valid JSON: {configFile ?? "runbook-host.json"}");
        }
        var settings = new HostSettings();
        try
        {
            configuration.Bind(settings);
        }
        catch (InvalidOperationException error)
        {
            throw new UsageException($"configuration value has the wrong type: {FirstLine(error.Message)}");
        }
        Validate(settings);
        return settings;
    }

    private static void Validate(HostSettings settings)
    {
        foreach (var (name, value) in new[] { ("Paths__Secrets", settings.Paths.Secrets), ("Paths__Evidence", settings.Paths.Evidence), ("Paths__Cache", settings.Paths.Cache), ("Paths__Logs", settings.Paths.Logs) })
        {
            if (string.IsNullOrWhiteSpace(value) || value.Contains('\0'))
                throw new UsageException($"{EnvironmentPrefix}{name} must be a folder path");
        }
        if (settings.Postgres.AdminConnectionString.Length > 0)
        {
            try { _ = new NpgsqlConnectionStringBuilder(settings.Postgres.AdminConnectionString); }
            catch (ArgumentException) { throw new UsageException($"{EnvironmentPrefix}Postgres__AdminConnectionString is not a valid Npgsql connection string"); }
        }
        try { _ = RunbookHost.Stores.Postgres.PgHbaPolicy.Create(settings.Postgres.HbaCidrTemplate, settings.Postgres.HbaMethod); }
        catch (ArgumentException error) { throw new UsageException($"{EnvironmentPrefix}Postgres__HbaCidrTemplate / Postgres__HbaMethod: {error.Message.Split(" (Parameter")[0]}"); }
        if (settings.Postgres.HbaFile.Length > 0)
        {
            if (settings.Postgres.HbaFile.Contains('\0') || !Path.IsPathFullyQualified(settings.Postgres.HbaFile))
                throw new UsageException($"{EnvironmentPrefix}Postgres__HbaFile must be an absolute path (the server's pg_hba.conf, see SHOW hba_file)");
            if (settings.Postgres.AdminConnectionString.Length == 0 || !settings.Postgres.Enabled)
                throw new UsageException($"{EnvironmentPrefix}Postgres__HbaFile is set but PostgreSQL is not configured or is disabled");
        }
        if (settings.Redis.Configuration.Length > 0)
        {
            try { _ = StackExchange.Redis.ConfigurationOptions.Parse(settings.Redis.Configuration); }
            catch (ArgumentException) { throw new UsageException($"{EnvironmentPrefix}Redis__Configuration is not a valid StackExchange.Redis configuration"); }
        }
        if (!System.Text.RegularExpressions.Regex.IsMatch(settings.Registry.Database, "^[a-z_][a-z0-9_]{0,62}$"))
            throw new UsageException($"{EnvironmentPrefix}Registry__Database must be lowercase letters, digits and '_'");
        if (settings.Run.Parallelism is < 1 or > 64)
            throw new UsageException($"{EnvironmentPrefix}Run__Parallelism must be between 1 and 64");
        if (settings.Keys.RotationDays is < 1 or > 3650 || settings.Keys.ArchiveRetentionDays is < 0 or > 3650)
            throw new UsageException($"{EnvironmentPrefix}Keys__RotationDays must be 1-3650 and Keys__ArchiveRetentionDays 0-3650");
    }

    private static string FirstLine(string text) => text.Split('\n')[0].Trim();
}
