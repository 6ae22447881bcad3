using RunbookHost.Configuration;
using RunbookHost.Evidence;

namespace RunbookHost.Cli.Execution;

internal static class EvidenceSinks
{
    /// <summary>Signed DSSE files under Paths.Evidence; the signing key is created in Paths.Secrets on first use.</summary>
    public static IEvidenceSink Create(HostSettings settings) => new Signed(settings);

    private sealed class Signed(HostSettings settings) : IEvidenceSink
    {
        public string? Preflight(string scope, DateTimeOffset startedAt)
        {
            using var signer = EvidenceSigner.LoadOrCreate(settings.Paths.Secrets, settings.Paths.Evidence);
            return null;
        }

        public string Write(RunRecord record)
        {
            using var signer = EvidenceSigner.LoadOrCreate(settings.Paths.Secrets, settings.Paths.Evidence);
            return new EvidenceWriter(signer, settings.Paths.Evidence).Write(record);
        }
    }
}
