using System.Security.Cryptography;
using Minio;
using RunbookHost.Stores.Minio;
using RunbookHost.Tenants;
using RunbookHost.Tests.Stores.Minio.StandIn;

namespace RunbookHost.Tests.Stores.Minio;

/// <summary>
/// The MinIO the tests talk to: a real server when RUNBOOKHOST_Minio__Endpoint, __AccessKey and __SecretKey are
/// set, otherwise the in-process stand-in. The same test classes run against either.
/// </summary>
public sealed class MinioTarget : IAsyncLifetime
{
    public MinioSettings Settings { get; private set; } = new();

    /// <summary>Null when the tests run against a real MinIO.</summary>
    public MinioStandIn? StandIn { get; private set; }

    public bool IsReal => StandIn is null;

    public async Task InitializeAsync()
    {
        var endpoint = Environment.GetEnvironmentVariable("RUNBOOKHOST_Minio__Endpoint");
        var accessKey = Environment.GetEnvironmentVariable("RUNBOOKHOST_Minio__AccessKey");
        var secretKey = Environment.GetEnvironmentVariable("RUNBOOKHOST_Minio__SecretKey");
        if (!string.IsNullOrEmpty(endpoint) && !string.IsNullOrEmpty(accessKey) && !string.IsNullOrEmpty(secretKey))
        {
            Settings = new MinioSettings
            {
                Endpoint = endpoint,
                AccessKey = accessKey,
                SecretKey = secretKey,
                Region = Environment.GetEnvironmentVariable("RUNBOOKHOST_Minio__Region") ?? "",
                SseKmsKeyId = Environment.GetEnvironmentVariable("RUNBOOKHOST_Minio__SseKmsKeyId"),
            };
            return;
        }
        StandIn = await MinioStandIn.StartAsync("standinroot", MinioTenantStore.GenerateSecretKey());
        Settings = new MinioSettings { Endpoint = StandIn.Endpoint, AccessKey = StandIn.RootAccessKey, SecretKey = StandIn.RootSecretKey };
    }

    public async Task DisposeAsync()
    {
        if (StandIn is not null)
            await StandIn.DisposeAsync();
    }

    public MinioTenantStore NewStore() => new(Settings);

    /// <summary>An S3 SDK client for any credential (root or tenant) against the target.</summary>
    public IMinioClient Client(string accessKey, string secretKey)
    {
        var uri = Settings.EndpointUri();
        return new MinioClient()
            .WithEndpoint(uri.Host, uri.Port)
            .WithCredentials(accessKey, secretKey)
            .WithRegion(string.IsNullOrEmpty(Settings.Region) ? "us-east-1" : Settings.Region)
            .WithSSL(uri.Scheme == Uri.UriSchemeHttps)
            .Build();
    }

    /// <summary>"t" + 10 random lowercase letters: unique per test run, valid as a tenant id.</summary>
    public static TenantId NewTenant() =>
        TenantId.Parse("t" + new string(Enumerable.Range(0, 10).Select(_ => (char)('a' + RandomNumberGenerator.GetInt32(26))).ToArray()));
}

[CollectionDefinition(Name)]
public sealed class MinioCollection : ICollectionFixture<MinioTarget>
{
    public const string Name = "minio";
}
