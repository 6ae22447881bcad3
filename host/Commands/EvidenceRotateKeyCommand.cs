using System.ComponentModel;
using RunbookHost.Cli.Execution;
using RunbookHost.Evidence;
using Spectre.Console.Cli;

namespace RunbookHost.Cli.Commands;

[Description("Replace the evidence signing key: the old key endorses the new one, and the rotation is recorded in the registry")]
internal sealed class EvidenceRotateKeyCommand : AsyncCommand<EvidenceRotateKeyCommand.Settings>
{
    public sealed class Settings : GlobalSettings
    {
        [CommandOption("--reason <TEXT>")]
        [Description("Why (recorded in the rotation statement and the audit event), e.g. scheduled, personnel, compromise")]
        public string Reason { get; init; } = "scheduled";
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        if (!System.Text.RegularExpressions.Regex.IsMatch(settings.Reason, "\\A[A-Za-z0-9 ._,:;()-]{1,200}\\z"))
            throw new UsageException("--reason must be 1-200 characters of letters, digits, spaces and . _ , : ; ( ) -");
        var environment = HostEnvironment.Create(settings, quiet: true);
        var paths = environment.Settings.Paths;
        var registry = EvidenceSinks.RegistryFor(environment.Settings);
        if (registry is not null)
            await registry.EnsureSchemaAsync(cancellationToken); // before anything changes: an unreachable registry stops here
        EvidenceKeyRotated rotated;
        try
        {
            rotated = EvidenceKeyRotation.Rotate(paths.Secrets, paths.Evidence, environment.Clock, settings.Reason, HostInfo.Operator);
        }
        catch (System.Security.Cryptography.CryptographicException error)
        {
            throw new UsageException(error.Message);
        }
        if (registry is not null)
        {
            try
            {
                await registry.RecordSigningKeyRotationAsync(rotated.PreviousKeyId, rotated.PreviousPublicKeyPem, rotated.NextKeyId,
                    rotated.NextPublicKeyPem, rotated.RotatedAt, settings.Reason, cancellationToken);
            }
            catch (Exception error) when (error is Npgsql.NpgsqlException or TimeoutException or InvalidOperationException)
            {
                Console.Error.WriteLine($"runbook-host: the new key {rotated.NextKeyId} signs from now on, but the rotation is not recorded in the registry " +
                                        $"({error.Message.ReplaceLineEndings(" ")}); run `evidence rotate-key` again to record it");
                return ExitCodes.RunbookFailed;
            }
        }
        EvidenceKeyRotation.Complete(paths.Secrets);
        Console.Out.WriteLine($"evidence signing key rotated at {rotated.RotatedAt:O}: {rotated.PreviousKeyId} -> {rotated.NextKeyId}");
        Console.Out.WriteLine($"the old key endorses the new one in {rotated.StatementPath}; the old private key is destroyed");
        Console.Out.WriteLine(registry is not null
            ? "recorded in the registry (signing_keys, audit event " + RunbookHost.Registry.TenantRegistry.SigningKeyRotatedEvent + ")"
            : "no registry configured: auditors pinned by key id must add the new id (Evidence:TrustedKeys) or follow the statement");
        return ExitCodes.Success;
    }
}
