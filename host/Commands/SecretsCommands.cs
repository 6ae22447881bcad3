using System.ComponentModel;
using RunbookHost.IO;
using RunbookHost.Keys;
using RunbookHost.Keys.Age;
using RunbookHost.Keys.Sops;
using RunbookHost.Keys.KeyRing;
using RunbookHost.Cli.Execution;
using RunbookHost.Tenants;
using Spectre.Console.Cli;

namespace RunbookHost.Cli.Commands;

[Description("Decrypt a SOPS file to stdout (like sops -d); with --tenant, the tenant's own key that opens it is found and named; exit 3 on MAC mismatch or no usable key")]
internal sealed class SecretsDecryptCommand : AsyncCommand<SecretsDecryptCommand.Settings>
{
    public sealed class Settings : GlobalSettings
    {
        [CommandArgument(0, "<FILE>")]
        public string File { get; init; } = "";

        [CommandOption("--identity <KEYFILE>")]
        [Description("age identity file; default SOPS_AGE_KEY_FILE, then SOPS_AGE_KEY, then ~/.config/sops/age/keys.txt")]
        public string? Identity { get; init; }

        [CommandOption("--tenant <ID>")]
        [Description("Find the key among the tenant's active and archived keys by the file's age recipients (a backup); stderr names the key version and its validity window")]
        public string? Tenant { get; init; }
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        if (settings.Tenant is not null && settings.Identity is not null)
            throw new UsageException("pass either --tenant or --identity, not both");
        // Validated before configuration or any file is read: a hostile id never reaches a path.
        TenantId? tenant = null;
        if (settings.Tenant is not null && !TenantId.TryParse(settings.Tenant, out tenant, out var reason))
            throw new UsageException($"--tenant: {reason}");
        var file = SecretsCli.Read(settings.File);
        var format = SopsFormatDetector.FromPath(settings.File);
        var keys = tenant is null
            ? new AgeSopsKeyService(SecretsCli.Identities(settings.Identity))
            : new AgeSopsKeyService(await TenantKeyAsync(settings, tenant, file, format, cancellationToken));
        var plaintext = Sops.Decrypt(file, format, keys);
        using var stdout = Console.OpenStandardOutput();
        stdout.Write(plaintext);
        return ExitCodes.Success;
    }

    /// <summary>The tenant key that opens <paramref name="file"/>, named on stderr; <see cref="BackupKeyException"/> (exit 3) with the reason when none can.</summary>
    private static async Task<AgeX25519Identity> TenantKeyAsync(Settings settings, TenantId tenant, byte[] file, SopsFormat format, CancellationToken cancellationToken)
    {
        var environment = HostEnvironment.Create(settings, quiet: true);
        await using var services = new ServicesFactory(environment.Settings, environment.Clock);
        var ring = services.Services.Keys;
        var registry = await services.ReadyRegistry(cancellationToken);
        var history = registry is null ? [] : await BackupKeys.HistoryAsync(ring, registry, tenant, cancellationToken);
        var key = BackupKeys.Find(ring, tenant, file, format, history);
        if (!key.CanDecrypt)
            throw new BackupKeyException(key.Explain() + (registry is null ? " (no registry configured: purged keys cannot be named)" : ""));
        var identity = key.RequireIdentity();
        Console.Error.WriteLine($"runbook-host: decrypted with {key.Explain()}");
        return identity;
    }
}

[Description("Encrypt a YAML/JSON/binary file with SOPS for age recipients (like sops -e); stdout or --in-place")]
internal sealed class SecretsEncryptCommand : Command<SecretsEncryptCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandArgument(0, "<FILE>")]
        public string File { get; init; } = "";

        [CommandOption("--age <RECIPIENT>")]
        [Description("age1… recipient; repeatable. Default: the first matching creation rule of the nearest .sops.yaml")]
        public string[] Age { get; init; } = [];

        [CommandOption("--in-place")]
        [Description("Replace FILE atomically (mode 0600) instead of writing to stdout")]
        public bool InPlace { get; init; }
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var format = SopsFormatDetector.FromPath(settings.File);
        // What the user asked for cannot be done: a usage error (exit 2), not a failed verification (exit 3).
        if (!Sops.IsWritable(format))
            throw new UsageException($"cannot write {format.ToString().ToLowerInvariant()} files ({Path.GetFileName(settings.File)}): secrets encrypt writes YAML, JSON and binary files; {format.ToString().ToLowerInvariant()} is read only");
        var plaintext = SecretsCli.Read(settings.File);
        var options = settings.Age.Length > 0
            ? new SopsEncryptOptions { AgeRecipients = settings.Age }
            : SecretsCli.CreationRule(settings.File).ToEncryptOptions();
        if (options.AgeRecipients.Count == 0)
            throw new UsageException("no age recipient: pass --age age1… (the .sops.yaml rule that matches lists none)");
        var encrypted = Sops.Encrypt(plaintext, format, options, new AgeSopsKeyService(), TimeProvider.System);
        if (settings.InPlace)
        {
            AtomicFile.Write(settings.File, encrypted, AtomicFile.PrivateFile);
            return ExitCodes.Success;
        }
        using var stdout = Console.OpenStandardOutput();
        stdout.Write(encrypted);
        return ExitCodes.Success;
    }
}

internal static class SecretsCli
{
    public static byte[] Read(string path) =>
        File.Exists(path) ? File.ReadAllBytes(path) : throw new UsageException($"file not found: {path}");

    /// <summary>Identity lookup in sops' order: explicit file, SOPS_AGE_KEY_FILE, SOPS_AGE_KEY, the default keys.txt.</summary>
    public static IReadOnlyList<IAgeIdentity> Identities(string? explicitFile)
    {
        var file = explicitFile ?? Environment.GetEnvironmentVariable("SOPS_AGE_KEY_FILE");
        if (!string.IsNullOrEmpty(file))
            return AgeCli.ReadIdentities(file);
        if (Environment.GetEnvironmentVariable("SOPS_AGE_KEY") is { Length: > 0 } inline)
        {
            try { return AgeKeyFile.ParseIdentities(inline); }
            catch (AgeException error) { throw new UsageException($"SOPS_AGE_KEY: {error.Message}"); }
        }
        var fallback = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".config", "sops", "age", "keys.txt");
        if (File.Exists(fallback))
            return AgeCli.ReadIdentities(fallback);
        throw new SopsException("no usable key: pass --identity, or set SOPS_AGE_KEY_FILE or SOPS_AGE_KEY");
    }

    /// <summary>The creation rule for <paramref name="path"/> from the nearest .sops.yaml above it, as sops finds it.</summary>
    public static SopsCreationRule CreationRule(string path)
    {
        for (var folder = new DirectoryInfo(Path.GetDirectoryName(Path.GetFullPath(path))!); folder is not null; folder = folder.Parent)
        {
            var config = Path.Combine(folder.FullName, ".sops.yaml");
            if (File.Exists(config))
                return SopsCreationRules.Load(File.ReadAllBytes(config)).RuleFor(Path.GetFullPath(path), folder.FullName);
        }
        throw new UsageException("no --age recipient and no .sops.yaml above the file");
    }
}
