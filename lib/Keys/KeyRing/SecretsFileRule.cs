using RunbookHost.Keys.Sops;

namespace RunbookHost.Keys.KeyRing;

/// <summary>
/// The §6.3 creation rule for tenant secrets files, as the repository's <c>.sops.yaml</c> states it: the
/// path pattern and sops' default selectors (every value encrypted except keys ending in
/// <c>_unencrypted</c>). The rule names no recipient: it is per tenant, read from the tenant's key at
/// encrypt time. A test keeps this class and <c>.sops.yaml</c> in agreement.
/// </summary>
public static class SecretsFileRule
{
    /// <summary>Matches <c>tenants/&lt;id&gt;/secrets.enc.yaml</c> under any secrets root (relative to the <c>.sops.yaml</c> folder).</summary>
    public const string PathRegex = @"(^|/)tenants/[a-z][a-z0-9]{2,31}/secrets\.enc\.yaml$";

    public static SopsEncryptOptions EncryptOptions(IReadOnlyList<string> recipients) => new() { AgeRecipients = recipients };
}
