using System.Globalization;
using RunbookHost.Tenants;

namespace RunbookHost.Keys.KeyRing;

/// <summary>Where a tenant's key-ring files live under <c>Paths.Secrets</c> (spec §6.2; docs/keys.md).</summary>
public sealed record TenantKeyFiles
{
    public const string KeyName = "key.age";
    public const string NewKeyName = "key-new.age";
    public const string PublicKeyName = "key.pub";
    public const string SecretsName = "secrets.enc.yaml";
    public const string JournalName = "rotation.json";

    internal TenantKeyFiles(string secretsRoot, TenantId tenant)
    {
        SecretsRoot = Path.GetFullPath(secretsRoot);
        Tenant = tenant;
        TenantsFolder = Path.Combine(SecretsRoot, "tenants");
        Folder = Path.Combine(TenantsFolder, tenant.Value);
    }

    public string SecretsRoot { get; }
    public TenantId Tenant { get; }
    public string TenantsFolder { get; }
    /// <summary><c>tenants/&lt;id&gt;</c> (0700).</summary>
    public string Folder { get; }
    /// <summary>The active private key (0600, age-keygen format).</summary>
    public string Key => Path.Combine(Folder, KeyName);
    /// <summary>The next key during a rotation (0600).</summary>
    public string NewKey => Path.Combine(Folder, NewKeyName);
    /// <summary>The active recipient, <c>age1...</c>.</summary>
    public string PublicKey => Path.Combine(Folder, PublicKeyName);
    /// <summary>The SOPS-encrypted credentials.</summary>
    public string Secrets => Path.Combine(Folder, SecretsName);
    /// <summary>Present while a rotation is in progress: reason, old public key, start time (no key material).</summary>
    public string Journal => Path.Combine(Folder, JournalName);

    /// <summary><c>key-yyyymmdd-archived.age</c>, or <c>key-yyyymmdd-N-archived.age</c> for the N-th archive of a day (N ≥ 2).</summary>
    public string ArchivedKey(DateOnly day, int sequence)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(sequence, 1);
        var date = day.ToString("yyyyMMdd", CultureInfo.InvariantCulture);
        return Path.Combine(Folder, sequence == 1 ? $"key-{date}-archived.age" : $"key-{date}-{sequence}-archived.age");
    }

    /// <summary>A path relative to the secrets root, for descriptions and evidence.</summary>
    public string Relative(string path) => Path.GetRelativePath(SecretsRoot, path);
}
