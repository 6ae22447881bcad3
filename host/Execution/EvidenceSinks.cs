using System.Collections.Concurrent;
using RunbookHost.Configuration;
using RunbookHost.Evidence;
using RunbookHost.Registry;

namespace RunbookHost.Cli.Execution;

internal static class EvidenceSinks
{
    /// <summary>Signed DSSE files under Paths.Evidence; the signing key is created in Paths.Secrets on first use.</summary>
    public static SignedEvidence Create(HostSettings settings, TimeProvider? clock = null) =>
        new(settings, RegistryFor(settings), clock ?? TimeProvider.System);

    /// <summary>The registry the evidence is recorded in, or null when PostgreSQL is not configured.</summary>
    public static TenantRegistry? RegistryFor(HostSettings settings) =>
        settings.Postgres.Enabled && settings.Postgres.AdminConnectionString.Length > 0 ? new TenantRegistry(settings.Postgres, settings.Registry) : null;
}

/// <summary>
/// The run's evidence: a preflight before the run acts, then one signed file linked to what the preflight promised. The
/// signing key is loaded for each call (after the run stamped its finish time), so a key rotated meanwhile is never used
/// after its retirement; with a registry, the key is registered there on first use, and a key it says was retired is refused.
/// </summary>
internal sealed class SignedEvidence(HostSettings settings, TenantRegistry? registry, TimeProvider clock) : IEvidenceSink
{
    private readonly SemaphoreSlim registering = new(1, 1);
    private readonly ConcurrentDictionary<string, EvidencePreflight> promised = new(StringComparer.Ordinal);
    private string? registeredKeyId;
    private bool registryUnreachable;

    /// <summary>
    /// Proves the evidence of a run on <paramref name="scope"/> (a tenant id or `_fleet`) can be written; returns the SHA-256
    /// the file will link to. Throws <see cref="UsageException"/> (one line: exit 2, nothing touched) otherwise.
    /// </summary>
    public string? Preflight(string scope, DateTimeOffset startedAt)
    {
        try
        {
            return PreflightAsync(scope, startedAt, CancellationToken.None).GetAwaiter().GetResult().PreviousSha256;
        }
        catch (EvidencePreflightException error)
        {
            throw new UsageException(error.Message);
        }
    }

    /// <summary>As <see cref="Preflight"/>, with all the preflight proved (head, sequence, key); throws <see cref="EvidencePreflightException"/>.</summary>
    public async Task<EvidencePreflight> PreflightAsync(string scope, DateTimeOffset now, CancellationToken cancellationToken)
    {
        using var signer = LoadSigner();
        try
        {
            await RegisterAsync(signer, cancellationToken);
        }
        catch (InvalidOperationException error)
        {
            throw new EvidencePreflightException($"evidence cannot be written, so nothing was done: {error.Message.ReplaceLineEndings(" ")}", error);
        }
        var preflight = new EvidenceWriter(signer, settings.Paths.Evidence, clock).Preflight(scope, now);
        promised[preflight.Chain] = preflight;
        return preflight;
    }

    /// <summary>Signs and writes the record, linked to the head its scope's preflight returned (if there was one), and updates the head.</summary>
    public string Write(RunRecord record) =>
        Write(record, promised.TryRemove(record.Tenant, out var preflight) ? preflight : null).Path;

    public EvidenceWritten Write(RunRecord record, EvidencePreflight? preflight)
    {
        using var signer = EvidenceSigner.LoadOrCreate(settings.Paths.Secrets, settings.Paths.Evidence);
        RegisterAsync(signer, CancellationToken.None).GetAwaiter().GetResult();
        return new EvidenceWriter(signer, settings.Paths.Evidence, clock).Write(record, preflight);
    }

    private EvidenceSigner LoadSigner()
    {
        try
        {
            return EvidenceSigner.LoadOrCreate(settings.Paths.Secrets, settings.Paths.Evidence);
        }
        catch (Exception error) when (error is System.Security.Cryptography.CryptographicException or IOException or UnauthorizedAccessException)
        {
            throw new EvidencePreflightException(
                $"evidence cannot be written, so nothing was done: the signing key does not load: {error.Message.ReplaceLineEndings(" ")}", error);
        }
    }

    private async Task RegisterAsync(EvidenceSigner signer, CancellationToken cancellationToken)
    {
        if (registry is null || registeredKeyId == signer.KeyId || registryUnreachable)
            return;
        await registering.WaitAsync(cancellationToken);
        try
        {
            if (registeredKeyId == signer.KeyId)
                return;
            SigningKeyRecord row;
            try
            {
                await registry.EnsureSchemaAsync(cancellationToken);
                row = await registry.RegisterSigningKeyAsync(signer.KeyId, signer.PublicKeyPem + "\n", clock.GetUtcNow(), cancellationToken);
            }
            catch (Exception error) when (error is Npgsql.NpgsqlException or TimeoutException)
            {
                // The run is recorded as incomplete for it (RunExecution); the next process registers the key. Not retried here,
                // so a run does not wait for the same timeout twice.
                registryUnreachable = true;
                return;
            }
            if (row.RetiredAt is { } retired)
                throw new InvalidOperationException(
                    $"the evidence signing key {signer.KeyId} was retired at {retired:O} (registry signing_keys); " +
                    $"{signer.PrivateKeyPath} is an old key: restore the current one");
            registeredKeyId = signer.KeyId;
        }
        finally
        {
            registering.Release();
        }
    }
}
