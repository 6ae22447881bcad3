using System.Security.Cryptography.X509Certificates;

namespace RunbookHost.Pki;

/// <summary>
/// Chain building as a relying party does it, with .NET's X509Chain (OpenSSL underneath on Linux): only
/// the given root is trusted (custom root trust, the system store ignored), the intermediates are offered,
/// name constraints, path length, key usage and validity are enforced. Revocation is not consulted: the platform's
/// servers refuse revoked CAs by leaving them out of their trust bundle (docs/pki.md).
/// </summary>
public static class PkiChain
{
    public sealed record Result(bool Valid, string Status);

    public static Result Validate(X509Certificate2 leaf, IEnumerable<X509Certificate2> intermediates, X509Certificate2 root, DateTimeOffset at)
    {
        ArgumentNullException.ThrowIfNull(leaf);
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(root);
        chain.ChainPolicy.ExtraStore.AddRange(intermediates.ToArray());
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.VerificationTime = at.UtcDateTime;
        chain.ChainPolicy.VerificationTimeIgnored = false;
        chain.ChainPolicy.DisableCertificateDownloads = true;
        var valid = chain.Build(leaf);
        var statuses = chain.ChainStatus.Select(s => s.Status.ToString()).Distinct().ToList();
        var anchored = chain.ChainElements.Count > 0 && chain.ChainElements[^1].Certificate.RawData.AsSpan().SequenceEqual(root.RawData);
        return new Result(valid && anchored, statuses.Count == 0 ? (anchored ? "valid" : "not anchored at the root") : string.Join(", ", statuses));
    }
}
