using System.ComponentModel;
using System.Security.Cryptography;
using RunbookHost.Cli.Execution;
using RunbookHost.Evidence;
using RunbookHost.Registry;
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
        if (settings.Heads is not null && !File.Exists(settings.Heads))
            throw new UsageException($"no such heads file: {settings.Heads}");
        if (settings.RunningGraceMinutes is < 1 or > 100_000)
            throw new UsageException("--running-grace must be 1-100000 minutes");
        var environment = HostEnvironment.Create(settings, quiet: true);
        var pins = new List<PinnedKey>(PinnedFromOptions(settings.Keys, environment.Settings.Evidence.TrustedKeys));
        var registry = settings.NoRegistry ? null : EvidenceSinks.RegistryFor(environment.Settings);
        IReadOnlyList<RunRow>? runs = null;
        if (registry is not null)
        {
            var (keys, rows) = await ReadRegistry(registry, cancellationToken);
            pins.AddRange(keys.Select(k => new PinnedKey("registry", k.KeyId, k.PublicKeyPem, k.RetiredAt)));
            runs = rows;
        }
        if (pins.Count == 0)
            throw new UsageException("no trusted evidence key: pin one with --key <public-key.pem>, Evidence:TrustedKeys (key ids), " +
                                     "or a registry holding the signing keys (Postgres:AdminConnectionString); a key beside the evidence is never trusted by itself");
        var options = new EvidenceVerifyOptions
        {
            TrustedKeys = pins,
            PublishedHeads = settings.Heads,
            RegistryRuns = runs,
            Now = environment.Clock.GetUtcNow(),
            RunningGrace = TimeSpan.FromMinutes(settings.RunningGraceMinutes),
        };
        EvidenceReport report;
        try
        {
            report = EvidenceVerifier.Verify(settings.Path, options);
        }
        catch (CryptographicException error)
        {
            throw new UsageException(error.Message);
        }
        report.Mode.Insert(0, registry is not null ? $"registry: cross-checked (database {registry.Database}, {runs!.Count} runs)"
            : settings.NoRegistry ? "registry: not checked (--no-registry)" : "registry: not checked (none configured)");
        Print(report);
        return report.Ok ? ExitCodes.Success : ExitCodes.VerificationFailed;
    }

    private static IEnumerable<PinnedKey> PinnedFromOptions(IEnumerable<string> keyFiles, IEnumerable<string> keyIds)
    {
        foreach (var file in keyFiles)
        {
            string pem;
            try
            {
                pem = File.ReadAllText(file);
            }
            catch (Exception error) when (error is IOException or UnauthorizedAccessException)
            {
                throw new UsageException($"--key {file}: cannot be read ({error.Message})");
            }
            yield return new PinnedKey($"--key {file}", PublicKeyPem: pem);
        }
        foreach (var id in keyIds)
        {
            if (!System.Text.RegularExpressions.Regex.IsMatch(id, "\\A[0-9a-f]{64}\\z"))
                throw new UsageException("Evidence:TrustedKeys holds an entry that is not a key id (64 lowercase hex characters)");
            yield return new PinnedKey("configuration Evidence:TrustedKeys", KeyId: id);
        }
    }

    private static async Task<(IReadOnlyList<SigningKeyRecord>, IReadOnlyList<RunRow>)> ReadRegistry(TenantRegistry registry, CancellationToken ct)
    {
        // Read only: an auditor's role may not be allowed to migrate, and verification must not change what it verifies.
        try
        {
            var keys = await registry.ListSigningKeysAsync(ct);
            var runs = (await registry.ListRunsAsync(EvidenceScopes.Tenant, null, ct)).Concat(await registry.ListRunsAsync(EvidenceScopes.Fleet, null, ct)).ToList();
            return (keys, runs);
        }
        catch (Npgsql.PostgresException error) when (error.SqlState is Npgsql.PostgresErrorCodes.UndefinedTable or Npgsql.PostgresErrorCodes.InvalidCatalogName)
        {
            throw new UsageException($"the registry database {registry.Database} has no signing keys or runs yet (it is missing or not migrated); " +
                                     "pass --no-registry to verify offline");
        }
        catch (Exception error) when (error is Npgsql.NpgsqlException or TimeoutException)
        {
            throw new UsageException($"the registry is unreachable ({error.Message.ReplaceLineEndings(" ")}); pass --no-registry to verify offline");
        }
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
