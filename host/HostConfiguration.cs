using System.Text.RegularExpressions;
using Microsoft.Extensions.Configuration;
using Npgsql;
using RunbookHost.Configuration;
using RunbookHost.IO;

namespace RunbookHost.Cli;

/// <summary>
/// Reads the configuration file, then `RUNBOOKHOST_*` variables (which override it), and validates the result. The file
/// is `--config FILE`, else <see cref="SystemConfigFile"/> when it exists; never a file found in the working folder,
/// which someone else may be able to write (docs/configuration.md). The file must pass <see cref="StrictModes"/>.
/// Errors name the key, never the value: a value in the wrong place may be a secret.
/// </summary>
internal static partial class HostConfiguration
{
    public const string EnvironmentPrefix = "RUNBOOKHOST_";
    public const string SystemConfigFile = "/etc/runbook-host/runbook-host.json";
    private const string WorkingFolderFile = "runbook-host.json";
    private const int MaxFileBytes = 1 << 20;

    public static HostSettings Load(string? configFile) => Load(configFile, SystemConfigFile, Console.Error);

    internal static HostSettings Load(string? configFile, string systemConfigFile, TextWriter notices)
    {
        if (configFile is not null && !File.Exists(configFile))
            throw new UsageException($"configuration file not found: {configFile}");
        if (configFile is null && File.Exists(WorkingFolderFile))
            notices.WriteLine($"runbook-host: note: ./{WorkingFolderFile} is not read: configuration comes from --config FILE or {systemConfigFile} (docs/configuration.md)");
        var file = configFile ?? (File.Exists(systemConfigFile) ? systemConfigFile : null);
        var builder = new ConfigurationBuilder();
        if (file is not null)
            builder.AddJsonStream(new MemoryStream(ReadTrusted(file)));
        IConfiguration configuration;
        try
        {
            configuration = builder.AddEnvironmentVariables(EnvironmentPrefix).Build();
        }
        catch (Exception error) when (error is FormatException or InvalidDataException or System.Text.Json.JsonException)
        {
            throw new UsageException($"configuration file is not valid JSON: {file}");
        }
        var settings = new HostSettings();
        try
        {
            configuration.Bind(settings);
            // Onboarding packages carry the bus URL; it belongs to the Nats section (docs/nats.md), read here by key.
            settings.Pki.NatsUrl = configuration["Nats:Url"] ?? "";
        }
        catch (InvalidOperationException error)
        {
            throw new UsageException(WrongType(error.Message));
        }
        Validate(settings);
        return settings;
    }

    /// <summary>The file's bytes, read once after <see cref="StrictModes"/> accepted it and every folder above it.</summary>
    private static byte[] ReadTrusted(string file)
    {
        StrictModes.Check(file, "configuration file");
        var real = NativeFile.RealPath(file) ?? throw new UsageException($"configuration file not found: {file}");
        return NativeFile.ReadIfExists(real, "configuration file", MaxFileBytes) ?? throw new UsageException($"configuration file not found: {file}");
    }

    /// <summary>Names the key and the expected type from the binder's message, which also quotes the value: that part is dropped.</summary>
    private static string WrongType(string binderMessage)
    {
        var match = BinderWrongType().Match(binderMessage);
        if (!match.Success)
            return "a configuration value has the wrong type (the value is not shown: it may be a secret)";
        var key = Printable(match.Groups["key"].Value);
        var expected = match.Groups["type"].Value switch
        {
            "System.Int32" or "System.Int64" => "a whole number",
            "System.Boolean" => "true or false",
            var type => $"of type {Printable(type)}",
        };
        return $"configuration key {key} ({EnvironmentPrefix}{key.Replace(":", "__", StringComparison.Ordinal)}) must be {expected} (the value is not shown: it may be a secret)";
    }

    private static string Printable(string text) => new(text.Select(c => c is >= ' ' and <= '~' ? c : '?').ToArray());

    // "Failed to convert configuration value '<value>' at '<key>' to type '<type>'." — anchored at the end, so the value cannot fake it.
    [GeneratedRegex(@"at '(?<key>[^']*)' to type '(?<type>[^']*)'\.\z")]
    private static partial Regex BinderWrongType();

    private static void Validate(HostSettings settings)
    {
        try
        {
            settings.Network.Validate();
            settings.Pki.Validate();
            settings.Nats.Validate();
            if (settings.Network.Provider == RunbookHost.Network.NetworkProviders.Hetzner && settings.Hetzner.IsConfigured)
                settings.Hetzner.Validate();
        }
        catch (ArgumentException error)
        {
            throw new UsageException(EnvironmentPrefix + error.Message.Split(" (Parameter")[0]);
        }
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
        if (!System.Text.RegularExpressions.Regex.IsMatch(settings.Registry.Database, @"^[a-z_][a-z0-9_]{0,62}\z"))
            throw new UsageException($"{EnvironmentPrefix}Registry__Database must be lowercase letters, digits and '_'");
        if (settings.Run.Parallelism is < 1 or > 64)
            throw new UsageException($"{EnvironmentPrefix}Run__Parallelism must be between 1 and 64");
        if (settings.Keys.RotationDays is < 1 or > 3650 || settings.Keys.ArchiveRetentionDays is < 0 or > 3650)
            throw new UsageException($"{EnvironmentPrefix}Keys__RotationDays must be 1-3650 and Keys__ArchiveRetentionDays 0-3650");
    }
}
