using System.ComponentModel;
using RunbookHost.Evidence;
using Spectre.Console.Cli;

namespace RunbookHost.Cli.Commands;

[Description("Check the signatures and per-tenant chains of evidence files; exit 0 only if every file verifies")]
internal sealed class EvidenceVerifyCommand : Command<EvidenceVerifyCommand.Settings>
{
    public sealed class Settings : GlobalSettings
    {
        [CommandArgument(0, "<FILE-OR-FOLDER>")]
        [Description("One evidence file, a tenant folder, or the whole evidence folder")]
        public string Path { get; init; } = "";

        [CommandOption("--key <PEM>")]
        [Description("Trusted public key (default: signing-key.pub.pem in the evidence folder)")]
        public string? PublicKey { get; init; }
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        if (!File.Exists(settings.Path) && !Directory.Exists(settings.Path))
            throw new UsageException($"no such evidence file or folder: {settings.Path}");
        var results = EvidenceVerifier.Verify(settings.Path, settings.PublicKey);
        foreach (var result in results)
            Console.Out.WriteLine(result.Ok ? $"ok      {result.Path}" : $"FAILED  {result.Path}: {result.Reason}");
        var failed = results.Count(r => !r.Ok);
        Console.Out.WriteLine($"{results.Count - failed} verified, {failed} failed");
        return failed == 0 && results.Count > 0 ? ExitCodes.Success : ExitCodes.VerificationFailed;
    }
}
