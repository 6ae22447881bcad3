using System.ComponentModel;
using RunbookHost.Cli.Execution;
using RunbookHost.Evidence;
using RunbookHost.IO;
using Spectre.Console.Cli;

namespace RunbookHost.Cli.Commands;

[Description("Export every evidence chain's head as one signed document to publish (ticket, audit report); or rebuild a lost head")]
internal sealed class EvidenceHeadsCommand : AsyncCommand<EvidenceHeadsCommand.Settings>
{
    public sealed class Settings : GlobalSettings
    {
        [CommandOption("--out <FILE>")]
        [Description("Write the signed heads document here (default: standard output)")]
        public string? Out { get; init; }

        [CommandOption("--rebuild <CHAIN>")]
        [Description("Verify the chain (a tenant id or _fleet) with this host's keys and write a new head for it")]
        public string? Rebuild { get; init; }
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        if (settings.Rebuild is not null && !EvidenceFormat.IsChainName(settings.Rebuild))
            throw new UsageException("--rebuild takes a tenant id or _fleet");
        var environment = HostEnvironment.Create(settings, quiet: true);
        var paths = environment.Settings.Paths;
        using var signer = LoadSigner(paths.Secrets, paths.Evidence);
        var writer = new EvidenceWriter(signer, paths.Evidence, environment.Clock);
        if (settings.Rebuild is { } chain)
            return await Rebuild(writer, chain, environment, cancellationToken);

        var heads = new List<ChainHead>();
        var failed = 0;
        foreach (var name in Chains(paths.Evidence))
        {
            try
            {
                if (writer.CurrentHead(name) is { } head)
                    heads.Add(head);
            }
            catch (EvidenceChainException error)
            {
                Console.Error.WriteLine($"runbook-host: {error.Message}");
                failed++;
            }
        }
        if (failed > 0)
        {
            Console.Error.WriteLine($"runbook-host: {failed} chain(s) do not match their heads; nothing was exported (run `evidence verify`)");
            return ExitCodes.VerificationFailed;
        }
        var document = ChainHead.SignPublished(heads, environment.Clock.GetUtcNow(), signer);
        if (settings.Out is null)
        {
            using var stdout = Console.OpenStandardOutput();
            stdout.Write(document);
            return ExitCodes.Success;
        }
        AtomicFile.Write(settings.Out, document);
        Console.Out.WriteLine($"{heads.Count} chain head(s) signed by key {signer.KeyId} written to {settings.Out}; keep it where the evidence host cannot change it");
        return ExitCodes.Success;
    }

    private static async Task<int> Rebuild(EvidenceWriter writer, string chain, HostEnvironment environment, CancellationToken cancellationToken)
    {
        ChainHead head;
        try
        {
            head = writer.RebuildHead(chain);
        }
        catch (EvidenceChainException error)
        {
            Console.Error.WriteLine($"runbook-host: {error.Message}");
            return ExitCodes.VerificationFailed;
        }
        if (EvidenceSinks.RegistryFor(environment.Settings) is { } registry)
        {
            await registry.EnsureSchemaAsync(cancellationToken);
            await registry.RecordAuditAsync("EVIDENCE_HEAD_REBUILT", null,
                new { chain = head.Chain, sequence = head.Sequence, file = head.RelativeFile, sha256 = head.Sha256 }, cancellationToken);
        }
        Console.Out.WriteLine($"head of {head.Chain} rebuilt: sequence {head.Sequence}, {head.RelativeFile} (sha256 {head.Sha256})");
        return ExitCodes.Success;
    }

    /// <summary>Every chain the tree knows of: chain folders, and heads whose folder may be gone (then CurrentHead refuses).</summary>
    private static IEnumerable<string> Chains(string evidenceRoot)
    {
        var folders = Directory.Exists(evidenceRoot)
            ? Directory.EnumerateDirectories(evidenceRoot).Select(Path.GetFileName).OfType<string>()
            : [];
        var headsFolder = Path.Combine(evidenceRoot, EvidenceFormat.HeadsFolder);
        var heads = Directory.Exists(headsFolder)
            ? Directory.EnumerateFiles(headsFolder, "*.json").Select(f => Path.GetFileNameWithoutExtension(f))
            : [];
        return folders.Concat(heads).Where(EvidenceFormat.IsChainName).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal);
    }

    private static EvidenceSigner LoadSigner(string secrets, string evidence)
    {
        try
        {
            return EvidenceSigner.LoadOrCreate(secrets, evidence);
        }
        catch (System.Security.Cryptography.CryptographicException error)
        {
            throw new UsageException(error.Message);
        }
    }
}
