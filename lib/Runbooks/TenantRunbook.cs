using RunbookHost.Network;
using RunbookHost.Pki;
using RunbookHost.Runbooks.Steps;
using RunbookHost.Tenants;

namespace RunbookHost.Runbooks;

/// <summary>
/// The globals of a runbook that runs for one tenant (the default scope): the tenant, and one facade per concern,
/// each already bound to this tenant and this run, so a step reads like the spec: <c>Postgres.Provision()</c>.
/// </summary>
public sealed class TenantRunbook : Runbook
{
    internal TenantRunbook(RunRecorder recorder, IReadOnlyDictionary<string, string> parameters, RunScope scope, RunbookServices services)
        : base(recorder, parameters)
    {
        var run = new TenantRun(scope, services);
        Tenant = scope.Tenant;
        Keys = new KeySteps(run);
        Registry = new RegistrySteps(run, services.Registry, services.RegistryDisabled);
        Minio = new MinioSteps(run, services.Minio, services.MinioDisabled);
        Postgres = new PostgresSteps(run, services.Postgres, services.PostgresDisabled, services.PgHba);
        Qdrant = new QdrantSteps(run, services.Qdrant, services.QdrantDisabled);
        Redis = new RedisSteps(run, services.Redis, services.RedisDisabled);
        Network = new NetworkSteps(scope, services.Network, services.NetworkDisabled);
        Pki = new PkiSteps(run, services.Pki, services.PkiDisabled);
        Bus = new BusSteps(run, services.Bus, services.BusDisabled);
    }

    /// <summary>The validated tenant this run is for.</summary>
    public TenantId Tenant { get; }
    /// <summary>The tenant's age key, SOPS secrets, rotation, archive and purge (spec §6-§7).</summary>
    public KeySteps Keys { get; }
    /// <summary>The control-plane registry (spec §8).</summary>
    public RegistrySteps Registry { get; }
    /// <summary>MinIO (spec §2).</summary>
    public MinioSteps Minio { get; }
    /// <summary>PostgreSQL (spec §3).</summary>
    public PostgresSteps Postgres { get; }
    /// <summary>Qdrant (spec §4).</summary>
    public QdrantSteps Qdrant { get; }
    /// <summary>Redis (spec §5).</summary>
    public RedisSteps Redis { get; }
    /// <summary>The tenant's private network, firewall, volume and compute (network spec; docker offline, hetzner online).</summary>
    public NetworkSteps Network { get; }
    /// <summary>The tenant's intermediate CA under the platform root: create, verify, revoke (process isolation spec; docs/pki.md).</summary>
    public PkiSteps Pki { get; }
    /// <summary>The tenant's message-bus account, subjects and JetStream stream on nats-server: provision, verify, remove (docs/nats.md).</summary>
    public BusSteps Bus { get; }
}
