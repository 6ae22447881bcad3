using RunbookHost.Evidence;
using RunbookHost.Keys.KeyRing;
using RunbookHost.Keys.Sops;
using RunbookHost.Stores;
using RunbookHost.Tenants;

namespace RunbookHost.Runbooks.Steps;

/// <summary>§9.1 "Encryption: tenant secrets decrypt only with tenant age key", as checks.</summary>
public static class EncryptionChecks
{
    public const string Store = "encryption";
    private const int OtherTenantsProbed = 3;

    public static IReadOnlyList<CheckRecord> VerifyEncryption(this TenantKeyRing keys, TenantId tenant, IReadOnlyList<TenantId> otherTenants)
    {
        var files = keys.Files(tenant);
        if (!File.Exists(files.Secrets) || !File.Exists(files.Key))
            return [Fail("secrets_decrypt_with_tenant_key", $"missing {TenantKeyFiles.KeyName} or {TenantKeyFiles.SecretsName}")];
        var secretsFile = File.ReadAllBytes(files.Secrets);
        var checks = new List<CheckRecord>();

        var opens = KeyFile.Opens(files.Key, secretsFile);
        checks.Add(new(Store, "secrets_decrypt_with_tenant_key", opens ? CheckResults.Pass : CheckResults.Fail, DateTimeOffset.MinValue, opens));

        var recipients = Sops.ReadMetadata(secretsFile, SopsFormat.Yaml).Age.Select(a => a.Recipient).ToList();
        var onlyTenant = recipients.Count == 1 && recipients[0] == keys.PublicKey(tenant);
        checks.Add(new(Store, "secrets_single_recipient", onlyTenant ? CheckResults.Pass : CheckResults.Fail, DateTimeOffset.MinValue, onlyTenant,
            $"{recipients.Count} age recipient(s); the tenant's public key is {(recipients.Contains(keys.PublicKey(tenant)) ? "" : "not ")}among them"));

        foreach (var other in otherTenants.Where(o => o != tenant && keys.HasKey(o)).Take(OtherTenantsProbed))
        {
            var foreignOpens = KeyFile.Opens(keys.Files(other).Key, secretsFile);
            checks.Add(new(Store, "cross_tenant_key_decrypt", foreignOpens ? CheckResults.Allowed : CheckResults.Denied, DateTimeOffset.MinValue, !foreignOpens,
                $"{other.Value}'s key on {tenant.Value}'s secrets"));
        }
        return checks;
    }

    private static CheckRecord Fail(string test, string detail) => new(Store, test, CheckResults.Fail, DateTimeOffset.MinValue, false, detail);
}
