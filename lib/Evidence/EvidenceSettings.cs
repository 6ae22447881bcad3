namespace RunbookHost.Evidence;

/// <summary>`Evidence:*` settings (`RUNBOOKHOST_Evidence__TrustedKeys__0=&lt;key id&gt;`).</summary>
public sealed class EvidenceSettings
{
    /// <summary>
    /// Key ids (lowercase hex SHA-256 of the public key's SubjectPublicKeyInfo DER) that `evidence verify` trusts, besides
    /// `--key` files and the registry's signing_keys. A key lying beside the evidence is trusted only when its id is here.
    /// </summary>
    public List<string> TrustedKeys { get; set; } = [];
}
