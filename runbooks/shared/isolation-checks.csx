// @shared   isolation-checks
// @version  1.0.0
// @summary  The spec §9.1 cross-store checklist as the tenant sees it, shared by provision and verify
using RunbookHost.Keys.KeyRing;

// §9.1: every configured store is probed live with the tenant's own credentials: its own namespace
// must work, another tenant's must be refused by the server. Each result lands in the §9.2 report
// (the evidence's "checks"). Probes create and remove test data, so a dry run only lists them.
async Task VerifyIsolation(string section)
{
    if (DryRun)
    {
        Skip($"{section} cross-store verification (§9.1)", "dry run: live probes create test data");
        return;
    }
    var secrets = Keys.LoadSecrets(Tenant);
    var others = await Registry.OtherActiveTenants(Tenant, CancellationToken);
    var other = others.Count > 0 ? others[0] : null;

    await Step($"{section}.1 MinIO: only the tenant's bucket, with its own keys (§2.4)", async () =>
        RecordChecks(await Minio.Verify(Tenant, () => secrets.MinioSecretKey, other, CancellationToken)));
    await Step($"{section}.2 PostgreSQL: only the tenant's database, as its own user (§3.3)", async () =>
        RecordChecks(await Postgres.Verify(Tenant, () => secrets.PostgresPassword, CancellationToken)));
    await Step($"{section}.2 PostgreSQL: pg_hba.conf has exactly the tenant's network line (§3.2)", async () =>
        RecordChecks([await Postgres.VerifyTenantNetwork(Tenant, await Registry.TenantOctet(Tenant, CancellationToken), CancellationToken)]));
    await Step($"{section}.3 Qdrant: only the tenant's collection, with its own token (§4.3)", async () =>
        RecordChecks(await Qdrant.Verify(Tenant, () => secrets.QdrantApiKey, others, CancellationToken)));
    await Step($"{section}.4 Redis: only the tenant's key prefix, as its own ACL user (§5.3)", async () =>
        RecordChecks(await Redis.Verify(Tenant, () => secrets.RedisPassword, CancellationToken)));
    await Step($"{section}.5 Encryption: the secrets decrypt with the tenant's key only (§6)", async () =>
        RecordChecks(await Task.FromResult(Keys.VerifyEncryption(Tenant, others))));
}

int RecordChecks(IEnumerable<RunbookHost.Evidence.CheckRecord> checks)
{
    var count = 0;
    foreach (var check in checks)
    {
        Check(check);
        count++;
    }
    return count;
}
