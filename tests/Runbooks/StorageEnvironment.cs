using System.Text.Json.Nodes;
using Npgsql;
using RunbookHost.Tests.Host;
using RunbookHost.Tests.Stores.Minio;
using RunbookHost.Tests.Stores.Qdrant;
using RunbookHost.Tests.Support;

namespace RunbookHost.Tests.Runbooks;

/// <summary>
/// The product's own runbooks run by the real host process against every store: real PostgreSQL
/// and Redis, MinIO and Qdrant stand-ins (or real servers when RUNBOOKHOST_Minio__*/RUNBOOKHOST_Qdrant__*
/// are set), with a registry database of its own that is dropped afterwards.
/// </summary>
public sealed class StorageEnvironment : IAsyncLifetime
{
    private readonly MinioTarget minio = new();
    private readonly QdrantFixture qdrant = new();

    public string RegistryDatabase { get; } = TestServers.NewDatabaseName("rbh_registry");

    public async Task InitializeAsync()
    {
        await minio.InitializeAsync();
        await qdrant.InitializeAsync();
    }

    public async Task DisposeAsync()
    {
        await minio.DisposeAsync();
        await qdrant.DisposeAsync();
        await using var admin = new NpgsqlConnection(TestServers.PostgresAdmin);
        await admin.OpenAsync();
        await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{RegistryDatabase}\" WITH (FORCE)", admin);
        await drop.ExecuteNonQueryAsync();
    }

    /// <summary>A host working folder with the repository's runbooks and lock, configured for every store.</summary>
    public HostProcess NewHost(bool allStores = true)
    {
        var host = new HostProcess();
        CopyFolder(Path.Combine(RepositoryRoot(), "runbooks"), host.RunbooksDir);
        host.Environment["RUNBOOKHOST_Postgres__AdminConnectionString"] = TestServers.PostgresAdmin;
        host.Environment["RUNBOOKHOST_Redis__Configuration"] = TestServers.Redis;
        host.Environment["RUNBOOKHOST_Registry__Database"] = RegistryDatabase;
        if (allStores)
        {
            host.Environment["RUNBOOKHOST_Minio__Endpoint"] = minio.Settings.Endpoint;
            host.Environment["RUNBOOKHOST_Minio__AccessKey"] = minio.Settings.AccessKey;
            host.Environment["RUNBOOKHOST_Minio__SecretKey"] = minio.Settings.SecretKey;
            host.Environment["RUNBOOKHOST_Qdrant__Endpoint"] = qdrant.Endpoint;
            host.Environment["RUNBOOKHOST_Qdrant__ApiKey"] = qdrant.ApiKey;
        }
        return host;
    }

    public RunbookHost.Stores.Minio.MinioTenantStore MinioStore() => minio.NewStore();

    public RunbookHost.Stores.Qdrant.QdrantTenantStore QdrantStore() => qdrant.NewStore();

    public Minio.IMinioClient MinioClient(string accessKey, string secretKey) => minio.Client(accessKey, secretKey);

    /// <summary>The run record (predicate) inside an evidence file's DSSE envelope.</summary>
    public static JsonNode Predicate(string evidenceFile)
    {
        var envelope = JsonNode.Parse(File.ReadAllText(evidenceFile))!;
        return JsonNode.Parse(Convert.FromBase64String(envelope["payload"]!.GetValue<string>()))!["predicate"]!;
    }

    public static IReadOnlyList<(string Store, string Test, string Result, bool Pass)> Checks(string evidenceFile) =>
        Predicate(evidenceFile)["checks"]!.AsArray()
            .Select(c => (c!["store"]!.GetValue<string>(), c["test"]!.GetValue<string>(), c["result"]!.GetValue<string>(), c["pass"]!.GetValue<bool>()))
            .ToList();

    public static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "runbook-host.sln")))
            dir = dir.Parent;
        return dir?.FullName ?? throw new DirectoryNotFoundException("runbook-host.sln not found above the test output");
    }

    private static void CopyFolder(string from, string to)
    {
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target, overwrite: true);
        }
    }
}
