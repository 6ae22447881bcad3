using System.ComponentModel;
using System.Globalization;
using RunbookHost.Report;
using RunbookHost.Tenants;
using Spectre.Console.Cli;

namespace RunbookHost.Cli.Commands;

[Description("Write the auditor's report of an evidence folder: one self-contained HTML file (default), HDF JSON or JUnit XML. Exit 0 when every file verified, 3 when the report shows verification failures")]
internal sealed class ReportCommand : Command<ReportCommand.Settings>
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
        [Description("Trusted public key, obtained independently (default: signing-key.pub.pem in the evidence folder, flagged in the report)")]
        public string? PublicKey { get; init; }

        [CommandOption("--since <DATE>")]
        [Description("Show only runs that started at or after this UTC date or time (yyyy-MM-dd or ISO 8601); verification still covers every file")]
        public string? Since { get; init; }

        [CommandOption("--tenant <ID>")]
        [Description("Only this tenant (repeatable); the fleet-wide proofs are always included")]
        public string[] Tenants { get; init; } = [];
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var (options, format, output) = Validate(settings);
        var model = ReportModel.Build(options, TimeProvider.System);
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
        if (s.PublicKey is not null && !File.Exists(s.PublicKey))
            throw new UsageException($"no such key file: {s.PublicKey}");
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
            KeyPath = s.PublicKey is null ? null : Path.GetFullPath(s.PublicKey),
            RunbooksFolder = Path.GetFullPath(s.RunbooksFolder),
            Since = since,
            Tenants = tenants.Count == 0 ? null : tenants.Distinct(StringComparer.Ordinal).ToList(),
            HostVersion = HostInfo.Version,
        };
        return (options, format, output);
    }
}
