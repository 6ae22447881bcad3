using RunbookHost.Tenants;

namespace RunbookHost.Registry;

/// <summary>Lifecycle of a tenant row (the <c>status</c> column, lowercase in the database).</summary>
public enum TenantStatus
{
    Provisioning,
    Active,
    Deprovisioning,
    Deprovisioned,
    Failed,
}

public static class TenantStatusText
{
    public static string ToDb(this TenantStatus status) => status switch
    {
        TenantStatus.Provisioning => "provisioning",
        TenantStatus.Active => "active",
        TenantStatus.Deprovisioning => "deprovisioning",
        TenantStatus.Deprovisioned => "deprovisioned",
        TenantStatus.Failed => "failed",
        _ => throw new ArgumentOutOfRangeException(nameof(status)),
    };

    public static TenantStatus Parse(string value) => value switch
    {
        "provisioning" => TenantStatus.Provisioning,
        "active" => TenantStatus.Active,
        "deprovisioning" => TenantStatus.Deprovisioning,
        "deprovisioned" => TenantStatus.Deprovisioned,
        "failed" => TenantStatus.Failed,
        _ => throw new FormatException("unknown tenant status in the registry"),
    };
}

/// <summary>A row of <c>tenants</c>.</summary>
public sealed record TenantRecord(
    TenantId TenantId,
    TenantStatus Status,
    int? TenantOctet,
    string? AgePublicKey,
    int KeyVersion,
    DateTimeOffset? KeyRotatedAt,
    DateTimeOffset? KeyRotationDueAt,
    DateTimeOffset CreatedAt,
    DateTimeOffset? DeprovisionedAt);

/// <summary>A row of <c>tenant_key_history</c>. Status is ACTIVE, ARCHIVED or PURGED.</summary>
public sealed record TenantKeyRecord(
    Guid Id,
    TenantId TenantId,
    int KeyVersion,
    string PublicKeyHash,
    string Status,
    DateTimeOffset CreatedAt,
    DateTimeOffset? ArchivedAt,
    DateTimeOffset? PurgedAt,
    string? RotationReason);

public static class KeyStatus
{
    public const string Active = "ACTIVE";
    public const string Archived = "ARCHIVED";
    public const string Purged = "PURGED";
}

/// <summary>What <see cref="TenantRegistry.RecordKeyRotationAsync"/> did: the new version and the version it archived (null for the first key).</summary>
public sealed record KeyRotationResult(int KeyVersion, int? ArchivedVersion, string PublicKeyHash);

/// <summary>The start of a runbook run, for <c>runbook_runs</c>.</summary>
public sealed record RunStart(string Runbook, string Version, string Sha256, TenantId? Tenant, bool DryRun, DateTimeOffset StartedAt);

public static class RunStatus
{
    public const string Running = "running";
    public const string Succeeded = "succeeded";
    public const string Failed = "failed";
}

/// <summary>A row of <c>audit_events</c>; Details is the JSON text.</summary>
public sealed record AuditEventRecord(long Id, DateTimeOffset OccurredAt, string EventType, string? TenantId, string Details);
