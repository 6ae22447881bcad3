using System.Security.Cryptography;
using RunbookHost.Tenants;

namespace RunbookHost.Tests.Support;

/// <summary>
/// The real PostgreSQL and Redis the integration tests use (scripts/local-services.sh starts them;
/// scripts/test.sh exports RUNBOOKHOST_TEST_POSTGRES / RUNBOOKHOST_TEST_REDIS). Never mocked.
/// Other engineers' tests share the servers: use <see cref="NewTenantId"/> and clean up.
/// </summary>
public static class TestServers
{
    public const string DefaultPostgres = "Host=127.0.0.1;Port=5432;Username=postgres;Password=runbookhost-local;Database=postgres";
    public const string DefaultRedis = "127.0.0.1:6379,user=runbookhost_admin,password=runbookhost-local";

    public static string PostgresAdmin { get; } = FromEnvironment("RUNBOOKHOST_TEST_POSTGRES", DefaultPostgres);

    public static string Redis { get; } = FromEnvironment("RUNBOOKHOST_TEST_REDIS", DefaultRedis);

    /// <summary>"t" + 10 random lowercase letters/digits: unique per test, valid everywhere.</summary>
    public static TenantId NewTenantId() => TenantId.Parse("t" + RandomNumberGenerator.GetString("abcdefghijklmnopqrstuvwxyz0123456789", 10));

    /// <summary>A throwaway database name for one test class (e.g. a registry).</summary>
    public static string NewDatabaseName(string prefix) => prefix + "_" + RandomNumberGenerator.GetString("abcdefghijklmnopqrstuvwxyz0123456789", 10);

    private static string FromEnvironment(string name, string fallback)
    {
        var value = Environment.GetEnvironmentVariable(name);
        return string.IsNullOrWhiteSpace(value) ? fallback : value;
    }
}
