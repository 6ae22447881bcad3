using RunbookHost.Cli.Execution;
using RunbookHost.Evidence;
using RunbookHost.Registry;

namespace RunbookHost.Cli.Commands;

/// <summary>
/// What `evidence verify` and `report` trust and cross-check, built the same way for both: the keys pinned by --key,
/// configuration (Evidence:TrustedKeys) and the registry's signing keys; the registry's runs when one is configured.
/// A key beside the evidence is never trusted by itself.
/// </summary>
internal static class EvidenceTrustInputs
{
    public static async Task<(EvidenceVerifyOptions Options, string RegistryMode)> Build(HostEnvironment environment, IEnumerable<string> keyFiles,
        string? heads, bool noRegistry, TimeSpan runningGrace, CancellationToken cancellationToken)
    {
        if (heads is not null && !File.Exists(heads))
            throw new UsageException($"no such heads file: {heads}");
        var pins = new List<PinnedKey>(PinnedFromOptions(keyFiles, environment.Settings.Evidence.TrustedKeys));
        var registry = noRegistry ? null : EvidenceSinks.RegistryFor(environment.Settings);
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
            PublishedHeads = heads,
            RegistryRuns = runs,
            Now = environment.Clock.GetUtcNow(),
            RunningGrace = runningGrace,
        };
        var mode = registry is not null ? $"registry: cross-checked (database {registry.Database}, {runs!.Count} runs)"
            : noRegistry ? "registry: not checked (--no-registry)" : "registry: not checked (none configured)";
        return (options, mode);
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
}
