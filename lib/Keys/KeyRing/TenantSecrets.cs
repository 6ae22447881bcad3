using RunbookHost.Stores;
using RunbookHost.Tenants;

namespace RunbookHost.Keys.KeyRing;

/// <summary>
/// A tenant's credentials (spec §6.3), in memory only. <see cref="ToString"/> never prints a value.
/// Keys other than the six of the schema (written by another tool) are kept as they are.
/// </summary>
public sealed class TenantSecrets
{
    public const string MinioAccessKeyName = "minio_access_key";
    public const string MinioSecretKeyName = "minio_secret_key";
    public const string PostgresPasswordName = "postgres_password";
    public const string QdrantApiKeyName = "qdrant_api_key";
    public const string RedisPasswordName = "redis_password";
    public const string TenantApiKeyName = "tenant_api_key";

    /// <summary>The §6.3 schema, in file order.</summary>
    public static readonly IReadOnlyList<string> Schema =
        [MinioAccessKeyName, MinioSecretKeyName, PostgresPasswordName, QdrantApiKeyName, RedisPasswordName, TenantApiKeyName];

    /// <summary>The generated credentials (every schema key except the MinIO access key, which is a name).</summary>
    public static readonly IReadOnlyList<string> Generated =
        [MinioSecretKeyName, PostgresPasswordName, QdrantApiKeyName, RedisPasswordName, TenantApiKeyName];

    private readonly List<KeyValuePair<string, string>> values;

    private TenantSecrets(List<KeyValuePair<string, string>> values) => this.values = values;

    public string MinioAccessKey => Get(MinioAccessKeyName);
    public string MinioSecretKey => Get(MinioSecretKeyName);
    public string PostgresPassword => Get(PostgresPasswordName);
    public string QdrantApiKey => Get(QdrantApiKeyName);
    public string RedisPassword => Get(RedisPasswordName);
    public string TenantApiKey => Get(TenantApiKeyName);

    /// <summary>Every key and value, in file order (what gets encrypted).</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Values => values;

    /// <summary>Fresh credentials from <see cref="System.Security.Cryptography.RandomNumberGenerator"/> (43 URL-safe characters ≈ 256 bits each).</summary>
    public static TenantSecrets Generate(TenantId tenant)
    {
        ArgumentNullException.ThrowIfNull(tenant);
        var list = new List<KeyValuePair<string, string>> { new(MinioAccessKeyName, $"tenant-{tenant.Value}-access") };
        list.AddRange(Generated.Select(name => new KeyValuePair<string, string>(name, StorePasswords.Generate())));
        return new TenantSecrets(list);
    }

    /// <summary>Reads decrypted values; every schema key must be present and non-empty.</summary>
    public static TenantSecrets FromValues(IEnumerable<KeyValuePair<string, string>> decrypted)
    {
        ArgumentNullException.ThrowIfNull(decrypted);
        var list = decrypted.ToList();
        foreach (var name in Schema)
        {
            if (!list.Any(kv => kv.Key == name && kv.Value.Length > 0))
                throw new KeyRingException($"the secrets file has no value for '{name}'");
        }
        return new TenantSecrets(list);
    }

    /// <summary>
    /// Emergency rotation (§7.4): a copy in which every generated store credential is new. The MinIO
    /// access key (a name, not a secret) and keys outside the schema are kept.
    /// </summary>
    public TenantSecrets RegenerateCredentials() =>
        new(values.Select(kv => Generated.Contains(kv.Key) ? new KeyValuePair<string, string>(kv.Key, StorePasswords.Generate()) : kv).ToList());

    /// <summary>A copy with one value replaced (or added), e.g. the Qdrant token issued for the tenant.</summary>
    public TenantSecrets With(string name, string value)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentException.ThrowIfNullOrEmpty(value);
        var copy = values.Where(kv => kv.Key != name).ToList();
        var index = values.FindIndex(kv => kv.Key == name);
        copy.Insert(index < 0 ? copy.Count : index, new KeyValuePair<string, string>(name, value));
        return new TenantSecrets(copy);
    }

    /// <summary>The value of <paramref name="name"/>, or null when the file has none.</summary>
    public string? ValueOf(string name) => values.FirstOrDefault(kv => kv.Key == name).Value;

    /// <summary>A copy without <paramref name="name"/> (unchanged when it has none).</summary>
    public TenantSecrets Without(string name) => new(values.Where(kv => kv.Key != name).ToList());

    /// <summary>True when both hold the same keys with the same values (for checks; compares in constant time per value).</summary>
    public bool HasSameValuesAs(TenantSecrets other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (other.values.Count != values.Count)
            return false;
        var same = true;
        for (var i = 0; i < values.Count; i++)
        {
            same &= values[i].Key == other.values[i].Key;
            same &= System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(
                System.Text.Encoding.UTF8.GetBytes(values[i].Value), System.Text.Encoding.UTF8.GetBytes(other.values[i].Value));
        }
        return same;
    }

    /// <summary>True when no generated credential is shared with <paramref name="other"/> (every one was regenerated).</summary>
    public bool SharesNoCredentialWith(TenantSecrets other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return Generated.All(name => Get(name) != other.Get(name));
    }

    /// <summary>Names only: <c>TenantSecrets(minio_access_key, ... = ***)</c>.</summary>
    public override string ToString() => $"TenantSecrets({string.Join(", ", values.Select(kv => kv.Key))} = ***)";

    private string Get(string name) => values.First(kv => kv.Key == name).Value;
}
