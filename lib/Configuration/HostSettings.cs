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
