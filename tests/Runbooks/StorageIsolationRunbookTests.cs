using System.Text.Json.Nodes;
using CliWrap.Buffered;
using RunbookHost.Tests.Host;
using RunbookHost.Tests.Support;

namespace RunbookHost.Tests.Runbooks;

/// <summary>
/// provision → verify → deprovision through `runbook-host run`, in all four stores, for two tenants at once:
/// each is refused the other's namespace by every server, and removing one leaves nothing of it.
/// </summary>
public sealed class StorageIsolationRunbookTests(StorageEnvironment stores) : IClassFixture<StorageEnvironment>
{
    [Fact]
    public async Task TwoTenantsCannotReachEachOtherInAnyStoreAndDeprovisioningOneLeavesNothingWhileTheOtherStillVerifies()
    {
        using var host = stores.NewHost();
        var a = TestServers.NewTenantId().Value;
        var b = TestServers.NewTenantId().Value;

        var provisionA = await Run(host, "provision", a);
        var provisionB = await Run(host, "provision", b);
        var verifyA = await Run(host, "verify", a);

        foreach (var evidence in new[] { provisionA, provisionB, verifyA })
            Assert.All(StorageEnvironment.Checks(evidence), c => Assert.True(c.Pass, $"{c.Store}/{c.Test}: {c.Result}"));
        var checks = StorageEnvironment.Checks(verifyA);
        foreach (var (store, test) in new[]
                 {
                     ("minio", "cross_tenant_get"), ("minio", "cross_tenant_put"), ("postgresql", "cross_db_connect"),
                     ("qdrant", "cross_tenant_query"), ("redis", "cross_tenant_get"), ("encryption", "cross_tenant_key_decrypt"),
                 })
        {
            Assert.Contains(checks, c => c.Store == store && c.Test == test && c.Result == "DENIED");
        }

        var deprovisionB = await Run(host, "deprovision", b);
        Assert.All(StorageEnvironment.Checks(deprovisionB), c => Assert.True(c.Pass, $"{c.Store}/{c.Test}: {c.Result}"));
        Assert.Contains(StorageEnvironment.Checks(deprovisionB), c => c.Test == "database_absent" && c.Result == "ABSENT");
        var bTenant = RunbookHost.Tenants.TenantId.Parse(b);
        Assert.False((await stores.MinioStore().GetStateAsync(bTenant, default)).BucketExists);
        Assert.False(await stores.QdrantStore().CollectionExistsAsync(bTenant));
        Assert.True((await new RunbookHost.Stores.Postgres.PostgresTenantStore(TestServers.PostgresAdmin).GetStateAsync(bTenant)).NothingRemains);
        await using (var redis = new RunbookHost.Stores.Redis.RedisTenantStore(TestServers.Redis))
            Assert.True((await redis.GetStateAsync(bTenant)).NothingRemains);

        await Run(host, "verify", a);
        await Run(host, "deprovision", a);
        // Offline: the tests of this class share one registry, whose runs name other hosts' evidence folders.
        var verifyEvidence = await host.VerifyEvidenceOffline();
        Assert.True(verifyEvidence.ExitCode == 0, verifyEvidence.StandardOutput);
    }

    [Fact]
    public async Task FromOutsideTheProductTheDecryptedPasswordOfOneTenantIsRefusedByTheOtherTenantsDatabaseAndKeys()
    {
        using var host = stores.NewHost(allStores: false);
        var a = TestServers.NewTenantId().Value;
        var b = TestServers.NewTenantId().Value;
        await Run(host, "provision", a);
        await Run(host, "provision", b);
        try
        {
            var keyFile = Path.Combine(host.SecretsDir, "tenants", a, "key.age");
            var decrypted = await host.Run("secrets", "decrypt", Path.Combine(host.SecretsDir, "tenants", a, "secrets.enc.yaml"), "--identity", keyFile);
            Assert.Equal(0, decrypted.ExitCode);
            var values = decrypted.StandardOutput.Split('\n').Where(l => l.Contains(": ")).ToDictionary(l => l[..l.IndexOf(": ")], l => l[(l.IndexOf(": ") + 2)..].Trim('"'));

            var psqlOwn = await Psql($"tenant_{a}_user", values["postgres_password"], $"tenant_{a}");
            var psqlOther = await Psql($"tenant_{a}_user", values["postgres_password"], $"tenant_{b}");
            Assert.Equal(0, psqlOwn.ExitCode);
            Assert.NotEqual(0, psqlOther.ExitCode);
            Assert.Contains("permission denied for database", psqlOther.StandardError);

            var redisOwn = await RedisCli($"tenant_{a}_user", values["redis_password"], "SET", $"tenant:{a}:probe", "1");
            var redisOther = await RedisCli($"tenant_{a}_user", values["redis_password"], "GET", $"tenant:{b}:probe");
            Assert.Equal("OK", redisOwn.StandardOutput.Trim());
            Assert.StartsWith("NOPERM", redisOther.StandardOutput.Trim());
        }
        finally
        {
            await Run(host, "deprovision", a);
            await Run(host, "deprovision", b);
        }
    }

    [Fact]
    public async Task EmergencyRotationMakesEveryStoreRefuseTheOldCredentials()
    {
        using var host = stores.NewHost();
        var tenant = TestServers.NewTenantId();
        await Run(host, "provision", tenant.Value);
        var ring = new RunbookHost.Keys.KeyRing.TenantKeyRing(host.SecretsDir);
        var old = ring.LoadSecrets(tenant);
        // Whoever holds the leaked credentials is already logged in when the emergency is declared.
        await using var leakedPostgres = new Npgsql.NpgsqlConnection(new Npgsql.NpgsqlConnectionStringBuilder(TestServers.PostgresAdmin)
        {
            Username = $"tenant_{tenant.Value}_user", Password = old.PostgresPassword, Database = $"tenant_{tenant.Value}", Pooling = false,
        }.ConnectionString);
        await leakedPostgres.OpenAsync();
        using var leakedRedis = await RawRedisSession.OpenAsync($"tenant_{tenant.Value}_user", old.RedisPassword);
        Assert.Equal("+PONG", await leakedRedis.PingAsync());

        var rotation = await Run(host, "rotate-keys", tenant.Value, "reason=emergency");
        var fresh = ring.LoadSecrets(tenant);

        await using (var stillThere = new Npgsql.NpgsqlCommand("SELECT 1", leakedPostgres))
            await Assert.ThrowsAnyAsync<Npgsql.NpgsqlException>(() => stillThere.ExecuteScalarAsync());
        Assert.Null(await leakedRedis.PingAsync()); // closed by the server

        Assert.True(fresh.SharesNoCredentialWith(old));
        Assert.All(StorageEnvironment.Checks(rotation), c => Assert.True(c.Pass, $"{c.Store}/{c.Test}: {c.Result}"));
        var postgres = new RunbookHost.Stores.Postgres.PostgresTenantStore(TestServers.PostgresAdmin);
        Assert.Contains(await postgres.VerifyAsync(tenant, old.PostgresPassword), c => c.Test == "own_db_create_table" && !c.Pass);
        await using (var redis = new RunbookHost.Stores.Redis.RedisTenantStore(TestServers.Redis))
            Assert.Contains(await redis.VerifyAsync(tenant, old.RedisPassword), c => !c.Pass);
        var oldMinio = stores.MinioClient(old.MinioAccessKey, old.MinioSecretKey);
        await Assert.ThrowsAnyAsync<Exception>(() => oldMinio.ListBucketsAsync());
        Assert.Contains(await stores.QdrantStore().VerifyTenantAsync(tenant, old.QdrantApiKey), c => c.Test == "own_collection_upsert_query" && !c.Pass);

        await Run(host, "verify", tenant.Value);
        await Run(host, "deprovision", tenant.Value);
    }

    [Fact]
    public async Task ADryRunOfProvisionPrintsTheStatementsWithSecretsMaskedAndCreatesNothing()
    {
        using var host = stores.NewHost(allStores: false);
        var tenant = TestServers.NewTenantId();

        var run = await host.Run("run", "provision", "--tenant", tenant.Value, "--dry-run");

        Assert.True(run.ExitCode == 0, run.StandardError);
        Assert.Contains($"CREATE DATABASE \"tenant_{tenant.Value}\"", run.StandardError);
        Assert.Contains("ACL SETUSER", run.StandardError);
        Assert.Contains("skipped: disabled", run.StandardError);
        Assert.False(Directory.Exists(Path.Combine(host.SecretsDir, "tenants", tenant.Value)));
        Assert.True((await new RunbookHost.Stores.Postgres.PostgresTenantStore(TestServers.PostgresAdmin).GetStateAsync(tenant)).NothingRemains);
    }

    internal static async Task<string> Run(HostProcess host, string runbook, string tenant, string? param = null)
    {
        string[] args = param is null
            ? ["run", runbook, "--tenant", tenant, "--json"]
            : ["run", runbook, "--tenant", tenant, "--param", param, "--json"];
        var run = await host.Run(args);
        Assert.True(run.ExitCode == 0, $"{runbook} {tenant}: exit {run.ExitCode}\n{run.StandardOutput}\n{run.StandardError}");
        return JsonNode.Parse(run.StandardOutput)!["evidence"]!.GetValue<string>();
    }

    private static Task<BufferedCommandResult> Psql(string user, string password, string database) =>
        CliWrap.Cli.Wrap("psql")
            .WithArguments(["-h", "127.0.0.1", "-U", user, "-d", database, "-c", "select 1"])
            .WithEnvironmentVariables(e => e.Set("PGPASSWORD", password).Set("PGCONNECT_TIMEOUT", "5"))
            .WithValidation(CliWrap.CommandResultValidation.None)
            .ExecuteBufferedAsync();

    private static Task<BufferedCommandResult> RedisCli(string user, string password, params string[] command) =>
        CliWrap.Cli.Wrap("redis-cli")
            .WithArguments(["-h", "127.0.0.1", "--no-auth-warning", "--user", user, "--pass", password, .. command])
            .WithValidation(CliWrap.CommandResultValidation.None)
            .ExecuteBufferedAsync();
}

/// <summary>`run verify --all-tenants`: every registered tenant verified, then the fleet-wide proof signed into evidence/_fleet.</summary>
public sealed class FleetVerificationTests(StorageEnvironment stores) : IClassFixture<StorageEnvironment>
{
    [Fact]
    public async Task VerifyingAllTenantsProvesEveryCrossTenantPairDeniedAndAGrantedPairFailsTheRun()
    {
        using var host = stores.NewHost();
        var tenants = new[] { TestServers.NewTenantId(), TestServers.NewTenantId(), TestServers.NewTenantId() };
        var provision = await host.Run(["run", "provision", .. tenants.SelectMany(t => new[] { "--tenant", t.Value }), "--json"]);
        Assert.True(provision.ExitCode == 0, provision.StandardOutput + provision.StandardError);
        try
        {
            var fleet = await host.Run("run", "verify", "--all-tenants", "--json");
            Assert.True(fleet.ExitCode == 0, fleet.StandardOutput + fleet.StandardError);
            var report = JsonNode.Parse(fleet.StandardOutput)!;
            Assert.Equal(4, report["runs"]!.AsArray().Count);
            var proof = report["runs"]!.AsArray().Single(r => r!["tenant"]!.GetValue<string>() == "_fleet")!["evidence"]!.GetValue<string>();
            var checks = StorageEnvironment.Predicate(proof)["checks"]!.AsArray();
            var postgres = checks.Single(c => c!["test"]!.GetValue<string>() == "fleet_cross_db_connect")!;
            Assert.Contains("6 cross-tenant pairs checked, 6 denied", postgres["detail"]!.GetValue<string>());
            Assert.Contains(checks, c => c!["store"]!.GetValue<string>() == "minio" && c["pass"]!.GetValue<bool>());
            Assert.Contains(checks, c => c!["store"]!.GetValue<string>() == "qdrant" && c["test"]!.GetValue<string>() == "fleet_cross_tenant_pairs");

            await using (var admin = new Npgsql.NpgsqlConnection(TestServers.PostgresAdmin))
            {
                await admin.OpenAsync();
                await using var grant = new Npgsql.NpgsqlCommand($"GRANT CONNECT ON DATABASE \"tenant_{tenants[1].Value}\" TO \"tenant_{tenants[0].Value}_user\"", admin);
                await grant.ExecuteNonQueryAsync();
            }
            var violated = await host.Run("run", "verify", "--all-tenants");
            Assert.Equal(1, violated.ExitCode);
            Assert.Contains("_fleet", violated.StandardOutput);
            // Online: every tenant run and fleet run is in this class's own registry, with its file's SHA-256 and the signing key.
            var verify = await host.Run("evidence", "verify", host.EvidenceDir);
            Assert.True(verify.ExitCode == 0, verify.StandardOutput);
            Assert.Contains("registry: cross-checked", verify.StandardOutput);
        }
        finally
        {
            await host.Run(["run", "deprovision", .. tenants.SelectMany(t => new[] { "--tenant", t.Value })]);
        }
    }
}
