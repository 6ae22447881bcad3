using System.ComponentModel;
using System.Security.Cryptography;
using RunbookHost.Evidence;
using Spectre.Console.Cli;

namespace RunbookHost.Cli.Commands;

[Description("Verify evidence against pinned keys, the chain heads and the registry; exit 0 only if everything verifies")]
internal sealed class EvidenceVerifyCommand : AsyncCommand<EvidenceVerifyCommand.Settings>
{
    public sealed class Settings : GlobalSettings
    {
        [CommandArgument(0, "<FILE-OR-FOLDER>")]
        [Description("One evidence file, a tenant folder, or the whole evidence folder")]
        public string Path { get; init; } = "";

        [CommandOption("--key <PEM>")]
        [Description("A trusted public key (repeatable); also Evidence:TrustedKeys (key ids) and the registry's signing keys")]
        public string[] Keys { get; init; } = [];

        [CommandOption("--heads <FILE>")]
        [Description("Chain heads you hold (from `evidence heads --out`): detects a chain cut or rewritten since")]
        public string? Heads { get; init; }

        [CommandOption("--no-registry")]
        [Description("Do not cross-check the registry (and do not trust its keys), even when one is configured")]
        public bool NoRegistry { get; init; }

        [CommandOption("--running-grace <MINUTES>")]
        [Description("A run still 'running' after this long without evidence is a problem (default 60)")]
        public int RunningGraceMinutes { get; init; } = 60;
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        if (!File.Exists(settings.Path) && !Directory.Exists(settings.Path))
            throw new UsageException($"no such evidence file or folder: {settings.Path}");
        if (settings.RunningGraceMinutes is < 1 or > 100_000)
            throw new UsageException("--running-grace must be 1-100000 minutes");
        var environment = HostEnvironment.Create(settings, quiet: true);
        var (options, registryMode) = await EvidenceTrustInputs.Build(environment, settings.Keys, settings.Heads, settings.NoRegistry,
            TimeSpan.FromMinutes(settings.RunningGraceMinutes), cancellationToken);
        EvidenceReport report;
        try
        {
            report = EvidenceVerifier.Verify(settings.Path, options);
        }
        catch (CryptographicException error)
        {
            throw new UsageException(error.Message);
        }
        report.Mode.Insert(0, registryMode);
        Print(report);
        return report.Ok ? ExitCodes.Success : ExitCodes.VerificationFailed;
    }

    private static void Print(EvidenceReport report)
    {
        foreach (var line in report.Mode)
            Console.Out.WriteLine(line);
        foreach (var file in report.Files)
            Console.Out.WriteLine(file.Ok ? $"ok      {file.Path}  key {file.KeyId}" : $"FAILED  {file.Path}: {file.Reason}");
        foreach (var (path, why) in report.Skipped)
            Console.Out.WriteLine($"skipped {path}: {why}");
        foreach (var problem in report.Problems)
            Console.Out.WriteLine($"PROBLEM {problem.Kind}  {problem.Subject}: {problem.Reason}");
        var failed = report.Files.Count(f => !f.Ok);
        Console.Out.WriteLine($"{report.Files.Count - failed} verified, {failed} failed, {report.Problems.Count} problem(s)");
    }
}
