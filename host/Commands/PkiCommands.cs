using System.ComponentModel;
using RunbookHost.Cli.Execution;
using RunbookHost.IO;
using RunbookHost.Pki;
using Spectre.Console.Cli;

namespace RunbookHost.Cli.Commands;

/// <summary>The platform PKI's one-off chores (docs/pki.md): creating the root, issuing the platform-admin certificate.</summary>
internal static class PkiCommand
{
    public static async Task<PkiService> ServiceAsync(GlobalSettings options, ServicesFactoryHolder holder, CancellationToken cancellationToken)
    {
        var environment = HostEnvironment.Create(options, quiet: true);
        holder.Factory = new ServicesFactory(environment.Settings, environment.Clock);
        _ = await holder.Factory.ReadyRegistry(cancellationToken)
            ?? throw new UsageException("the PKI records its CAs and certificates in the registry: set RUNBOOKHOST_Postgres__AdminConnectionString");
        return holder.Factory.Services.Pki!;
    }
}

/// <summary>Keeps the services alive for the command and disposes them after.</summary>
internal sealed class ServicesFactoryHolder : IAsyncDisposable
{
    public ServicesFactory? Factory { get; set; }

    public ValueTask DisposeAsync() => Factory?.DisposeAsync() ?? ValueTask.CompletedTask;
}

[Description("Create the platform root CA and the platform-admin CA, once (provision does it too when they are missing)")]
internal sealed class PkiInitCommand : AsyncCommand<GlobalSettings>
{
    public override async Task<int> ExecuteAsync(CommandContext context, GlobalSettings settings, CancellationToken cancellationToken)
    {
        await using var holder = new ServicesFactoryHolder();
        var pki = await PkiCommand.ServiceAsync(settings, holder, cancellationToken);
        var created = await pki.InitializeAsync(cancellationToken);
        using var root = await pki.RootCertificateAsync(cancellationToken);
        using var adminCa = await pki.PlatformAdminCaAsync(cancellationToken);
        Console.Out.WriteLine(created.Count == 0 ? "the platform PKI already exists; nothing was changed" : $"created: {string.Join(", ", created)}");
        Console.Out.WriteLine($"root CA            {pki.Files.Relative(pki.Files.RootCertificate)}  serial {CertificateProfiles.SerialOf(root)}  SHA-256 {CertificateProfiles.FingerprintOf(root)}  until {root.NotAfter.ToUniversalTime():yyyy-MM-dd}");
        Console.Out.WriteLine($"platform-admin CA  {pki.Files.Relative(pki.Files.AdminCaCertificate)}  serial {CertificateProfiles.SerialOf(adminCa)}  SHA-256 {CertificateProfiles.FingerprintOf(adminCa)}");
        Console.Out.WriteLine($"keys: age-encrypted to {pki.Files.Relative(pki.Files.PlatformKey)} (0600): back it up; without it no CA can sign again");
        return ExitCodes.Success;
    }
}

[Description("Issue the platform-admin client certificate (may cross tenants; short-lived); recorded in the registry and its audit log")]
internal sealed class PkiAdminCertCommand : AsyncCommand<PkiAdminCertCommand.Settings>
{
    public sealed class Settings : GlobalSettings
    {
        [CommandOption("-o|--out <DIR>")]
        [Description("A new or empty folder (created 0700) to write cert.pem, key.pem (0600) and ca-chain.pem into")]
        public string Out { get; init; } = "";

        [CommandOption("--reason <TEXT>")]
        [Description("Why it is issued (recorded in the audit log): required, the certificate may cross tenants")]
        public string Reason { get; init; } = "";
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        if (settings.Out.Length == 0 || settings.Out.Contains('\0'))
            throw new UsageException("give --out <DIR>, a new or empty folder for the certificate and its key");
        if (settings.Reason.Trim().Length is < 3 or > 200 || settings.Reason.Any(char.IsControl))
            throw new UsageException("give --reason <TEXT> (3-200 characters, one line): the certificate may cross tenants, so its issue is audited");
        var folder = Path.GetFullPath(settings.Out);
        if (Directory.Exists(folder) && Directory.EnumerateFileSystemEntries(folder).Any())
            throw new UsageException($"{settings.Out} is not empty: refusing to overwrite a key");
        await using var holder = new ServicesFactoryHolder();
        var pki = await PkiCommand.ServiceAsync(settings, holder, cancellationToken);
        await pki.InitializeAsync(cancellationToken);
        using var issued = await pki.IssuePlatformAdminCertificateAsync(cancellationToken);
        using var root = await pki.RootCertificateAsync(cancellationToken);
        // Audited before the key is on disk: a key that crosses tenants never exists without its record.
        await pki.Registry.RecordAuditAsync("PLATFORM_ADMIN_CERT_ISSUED", null,
            new { serial = issued.Serial, sha256 = issued.Fingerprint, not_after = issued.Certificate.NotAfter.ToUniversalTime(), reason = settings.Reason.Trim() }, cancellationToken);
        AtomicFile.CreatePrivateFolder(folder);
        OnboardingFiles.WriteCertificateAndKey(folder, issued, root);
        Console.Out.WriteLine($"{ComponentIdentity.PlatformAdmin}: serial {issued.Serial}, SHA-256 {issued.Fingerprint}, until {issued.Certificate.NotAfter.ToUniversalTime():yyyy-MM-ddTHH:mm:ssZ}");
        Console.Out.WriteLine($"written to {folder}: cert.pem, key.pem (0600), ca-chain.pem");
        return ExitCodes.Success;
    }
}
