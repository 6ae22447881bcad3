namespace RunbookHost.Configuration;

/// <summary>
/// Everything runbook-host reads from `runbook-host.json` and `RUNBOOKHOST_*` environment variables
/// (`__` nests: `RUNBOOKHOST_Paths__Secrets` is <see cref="PathSettings.Secrets"/>).
/// Bound once at start and validated by the host before anything runs.
/// </summary>
public sealed class HostSettings
{
    public PathSettings Paths { get; set; } = new();
    public PostgresSettings Postgres { get; set; } = new();
    public RedisSettings Redis { get; set; } = new();
    public Stores.Minio.MinioSettings Minio { get; set; } = new();
    public Stores.Qdrant.QdrantSettings Qdrant { get; set; } = new();
    public RegistrySettings Registry { get; set; } = new();
    public KeySettings Keys { get; set; } = new();
    public RunSettings Run { get; set; } = new();
    public ScheduleSettings Schedule { get; set; } = new();
    public VerifySettings Verify { get; set; } = new();
    /// <summary>Network and compute isolation per tenant (docs/network.md).</summary>
    public Network.NetworkSettings Network { get; set; } = new();
    /// <summary>The online network provider (Network:Provider=hetzner).</summary>
    public Network.Hetzner.HetznerSettings Hetzner { get; set; } = new();
    public Evidence.EvidenceSettings Evidence { get; set; } = new();
    /// <summary>Certificate lifetimes and the CA rotation overlap (docs/pki.md).</summary>
    public Pki.PkiSettings Pki { get; set; } = new();
    /// <summary>The message bus: nats-server's configuration, reload and live probes (docs/nats.md).</summary>
    public Nats.NatsSettings Nats { get; set; } = new();
}

/// <summary>What verification must prove beyond what the registry records for each tenant.</summary>
public sealed class VerifySettings
{
    /// <summary>
    /// Components every tenant of this deployment must have (e.g. ["postgres", "redis", "minio"]): a tenant whose registry
    /// record lacks one is incomplete, and a required store that is not configured is never skipped.
    /// </summary>
    public List<string> RequiredComponents { get; set; } = [];
}

public sealed class PathSettings
{
    public string Secrets { get; set; } = "./.secrets";
    public string Evidence { get; set; } = "./evidence";
    public string Cache { get; set; } = "./.cache/runbooks";
    public string Logs { get; set; } = "./.cache/logs";
}

public sealed class PostgresSettings
{
    /// <summary>Npgsql connection string of a role with CREATEDB and CREATEROLE. Empty = store not configured.</summary>
    public string AdminConnectionString { get; set; } = "";
    public bool Enabled { get; set; } = true;
    /// <summary>Host name tenants use to reach PostgreSQL in verification probes; defaults to the admin host.</summary>
    public string TenantHost { get; set; } = "";
    /// <summary>
    /// Path of the server's pg_hba.conf, readable and writable by this process (same machine or a shared volume).
    /// Empty = pg_hba.conf management off (the default). See docs/stores.md "pg_hba.conf management".
    /// </summary>
    public string HbaFile { get; set; } = "";
    /// <summary>Each tenant's network; <c>{octet}</c> is its tenant_octet (1..254). Must give a network CIDR for every octet.</summary>
    public string HbaCidrTemplate { get; set; } = Stores.Postgres.PgHbaPolicy.DefaultCidrTemplate;
    /// <summary>Authentication method of the tenant lines: scram-sha-256 (default), md5 or cert. trust and password are refused.</summary>
    public string HbaMethod { get; set; } = Stores.Postgres.PgHbaPolicy.DefaultMethod;
    /// <summary>
    /// Opt-in cluster hardening: provision revokes CONNECT on <c>postgres</c> and <c>template1</c> from PUBLIC, so tenant
    /// roles cannot log in there (needs a superuser admin, or the owner of both). Off by default: other roles that
    /// log in there through PUBLIC would lose it too. `doctor` reports the state either way. See docs/stores.md.
    /// </summary>
    public bool HardenSystemDatabases { get; set; }
}

public sealed class RedisSettings
{
    /// <summary>StackExchange.Redis configuration string for an admin user (ACL SETUSER/DELUSER, SCAN, UNLINK).</summary>
    public string Configuration { get; set; } = "";
    public bool Enabled { get; set; } = true;
    /// <summary>Persist ACL changes with ACL SAVE (the server must run with an aclfile).</summary>
    public bool AclSave { get; set; }
}

public sealed class RegistrySettings
{
    /// <summary>Control-plane database on the admin PostgreSQL server.</summary>
    public string Database { get; set; } = "runbook_host";
}

public sealed class KeySettings
{
    public int RotationDays { get; set; } = 90;
    public int ArchiveRetentionDays { get; set; } = 90;
}

public sealed class RunSettings
{
    /// <summary>Tenants processed at once by `--all-tenants` and scheduled jobs.</summary>
    public int Parallelism { get; set; } = 4;
}

/// <summary>`runbook-host schedule` (docs/scheduling.md): the jobs, and how the clustered scheduler behaves.</summary>
public sealed class ScheduleSettings
{
    /// <summary>The jobs; when empty, the defaults (nightly-verify, rotation-due, purge-archived-keys) apply.</summary>
    public List<ScheduledJobSettings> Jobs { get; set; } = [];
    /// <summary>Time zone the cron expressions are read in (an IANA id); UTC unless set.</summary>
    public string TimeZone { get; set; } = "UTC";
    /// <summary>Scheduled jobs this host runs at once (each still runs its tenants with Run__Parallelism).</summary>
    public int MaxConcurrentJobs { get; set; } = 2;
    /// <summary>How often this host records in the cluster tables that it is alive.</summary>
    public int CheckinIntervalSeconds { get; set; } = 10;
    /// <summary>How late a firing may start before it counts as misfired (then it runs once on recovery).</summary>
    public int MisfireThresholdSeconds { get; set; } = 60;
    /// <summary>How long a stopping host waits for running jobs before it exits anyway.</summary>
    public int ShutdownTimeoutSeconds { get; set; } = 600;
    /// <summary>Where `schedule` serves Prometheus metrics ("host:port", GET /metrics); loopback by default, "off" to disable.</summary>
    public string MetricsAddress { get; set; } = "127.0.0.1:9464";
    /// <summary>An http(s) URL that receives a JSON POST for every failed or incomplete firing; empty = no webhook.</summary>
    public string WebhookUrl { get; set; } = "";
    /// <summary>Key of the HMAC-SHA256 signature of each webhook body (header X-RunbookHost-Signature); never logged.</summary>
    public string WebhookSecret { get; set; } = "";
    /// <summary>Attempts per webhook delivery, with exponential backoff between them.</summary>
    public int WebhookAttempts { get; set; } = 5;
}

public sealed class ScheduledJobSettings
{
    public string Name { get; set; } = "";
    public string Runbook { get; set; } = "";
    /// <summary>Quartz cron expression with seconds: "0 0 2 * * ?" is 02:00 every day.</summary>
    public string Cron { get; set; } = "";
    /// <summary>"all" (active tenants), "status:&lt;status&gt;", "due-for-rotation", or "ids:acme,beta".</summary>
    public string Tenants { get; set; } = "all";
    /// <summary>Runbook parameters, as --param KEY=VALUE would give them.</summary>
    public Dictionary<string, string> Params { get; set; } = new(StringComparer.Ordinal);
}
