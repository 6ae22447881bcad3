using System.ComponentModel;
using System.Globalization;
using System.Security.Cryptography;
using RunbookHost.Report;
using RunbookHost.Tenants;
using Spectre.Console.Cli;

namespace RunbookHost.Cli.Commands;

[Description("Write the auditor's report of an evidence folder: one self-contained HTML file (default), HDF JSON or JUnit XML. Exit 0 when every file verified, 3 when the report shows verification failures")]
internal sealed class ReportCommand : AsyncCommand<ReportCommand.Settings>
{
    public sealed class Settings : GlobalSettings
    {
        [CommandArgument(0, "<EVIDENCE-FOLDER>")]
        [Description("The evidence root (the folder holding the tenant folders and signing-key.pub.pem)")]
        public string Evidence { get; init; } = "";

        [CommandOption("-o|--output <FILE>")]
        [Description("The report file to write (replaced atomically)")]
        public string? Output { get; init; }

        [CommandOption("--format <FORMAT>")]
        [Description("html (default), hdf (MITRE Heimdall exec-json) or junit")]
        public string Format { get; init; } = "html";

        [CommandOption("--key <PEM>")]
        [Description("A trusted public key, obtained independently (repeatable); also Evidence:TrustedKeys and the registry's signing keys, as for `evidence verify`")]
        public string[] Keys { get; init; } = [];

        [CommandOption("--heads <FILE>")]
        [Description("Chain heads you hold (from `evidence heads --out`): a chain cut or rewritten since is shown at the top")]
        public string? Heads { get; init; }

        [CommandOption("--no-registry")]
        [Description("Do not cross-check the registry (and do not trust its keys), even when one is configured")]
        public bool NoRegistry { get; init; }

        [CommandOption("--since <DATE>")]
        [Description("Show only runs that started at or after this UTC date or time (yyyy-MM-dd or ISO 8601); verification still covers every file")]
        public string? Since { get; init; }

        [CommandOption("--tenant <ID>")]
        [Description("Only this tenant (repeatable); the fleet-wide proofs are always included")]
        public string[] Tenants { get; init; } = [];
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var (options, format, output) = Validate(settings);
        var environment = HostEnvironment.Create(settings, quiet: true);
        var (trust, registryMode) = await EvidenceTrustInputs.Build(environment, settings.Keys, settings.Heads, settings.NoRegistry,
            TimeSpan.FromHours(1), cancellationToken);
        ReportModel model;
        try
        {
            model = ReportModel.Build(options with { Trust = trust, RegistryMode = registryMode }, environment.Clock);
        }
        catch (CryptographicException error)
        {
            throw new UsageException(error.Message);
        }
        ReportOutput.Write(output, model, format);
        var v = model.Verification;
        Console.Out.WriteLine($"report: {output} ({format.ToString().ToLowerInvariant()}): {model.Matrix.Rows.Count} tenant(s), {model.RunCount} run(s), "
            + (v.Ok ? $"all {v.Files.Count} evidence files verified" : $"VERIFICATION FAILED for {v.Failed} of {v.Files.Count} files, {v.Problems.Count} other problem(s)"));
        return v.Ok && model.Unreadable.Count == 0 ? ExitCodes.Success : ExitCodes.VerificationFailed;
    }

    private static (ReportOptions Options, ReportFormat Format, string Output) Validate(Settings s)
    {
        if (!Directory.Exists(s.Evidence))
            throw new UsageException($"no such evidence folder: {s.Evidence}");
        if (string.IsNullOrWhiteSpace(s.Output))
            throw new UsageException("say where to write the report: -o FILE");
        var output = Path.GetFullPath(s.Output);
        if (Directory.Exists(output) || !Directory.Exists(Path.GetDirectoryName(output)))
            throw new UsageException($"cannot write the report to {s.Output}: not a file in an existing folder");
        if (!Enum.TryParse<ReportFormat>(s.Format, ignoreCase: true, out var format) || !Enum.IsDefined(format) || s.Format.Any(char.IsDigit))
            throw new UsageException($"unknown report format '{s.Format}': html, hdf or junit");
        foreach (var key in s.Keys.Where(k => !File.Exists(k)))
            throw new UsageException($"no such key file: {key}");
        DateTimeOffset? since = null;
        if (s.Since is not null)
        {
            if (!DateTimeOffset.TryParse(s.Since, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var at))
                throw new UsageException($"--since '{s.Since}' is not a date (yyyy-MM-dd or ISO 8601)");
            since = at;
        }
        var tenants = new List<string>();
        foreach (var tenant in s.Tenants)
        {
            if (!TenantId.TryParse(tenant, out var id, out var reason))
                throw new UsageException($"--tenant: {reason}");
            tenants.Add(id.Value);
        }
        var options = new ReportOptions
        {
            EvidenceRoot = Path.GetFullPath(s.Evidence),
            Trust = new RunbookHost.Evidence.EvidenceVerifyOptions(),
            RunbooksFolder = Path.GetFullPath(s.RunbooksFolder),
            Since = since,
            Tenants = tenants.Count == 0 ? null : tenants.Distinct(StringComparer.Ordinal).ToList(),
            HostVersion = HostInfo.Version,
        };
        return (options, format, output);
    }
}
