using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using RunbookHost.Registry;

namespace RunbookHost.Pki;

/// <summary>A tenant's CA as loaded for signing: its registry record, certificate and private key (disposed with it).</summary>
internal sealed class TenantCaKey(TenantCaRecord record, X509Certificate2 certificate, ECDsa key) : IDisposable
{
    public TenantCaRecord Record { get; } = record;
    public X509Certificate2 Certificate { get; } = certificate;
    public ECDsa Key { get; } = key;

    public void Dispose()
    {
        Certificate.Dispose();
        Key.Dispose();
    }
}

/// <summary>What <see cref="PkiService.EnsureTenantCaAsync"/> or a rotation did: the CA now active, and whether this call created it.</summary>
public sealed record TenantCaOutcome(TenantCaRecord Active, bool Created, bool Resumed, string? PreviousSerial);
