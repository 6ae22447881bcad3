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

/// <summary>
/// A row of <c>tenant_key_history</c>. Status is ACTIVE, ARCHIVED or PURGED. <see cref="AgePublicKey"/> and <see cref="KeyFile"/>
/// are null only for a key purged before the registry kept them (its <see cref="PublicKeyHash"/> still identifies it).
/// The key encrypted the tenant's secrets from <see cref="ValidFrom"/> until <see cref="ValidTo"/> (null: still active).
/// </summary>
public sealed record TenantKeyRecord(
    Guid Id,
    TenantId TenantId,
    int KeyVersion,
    string PublicKeyHash,
    string Status,
    DateTimeOffset CreatedAt,
    DateTimeOffset? ArchivedAt,
    DateTimeOffset? PurgedAt,
    string? RotationReason,
    string? AgePublicKey = null,
    string? KeyFile = null,
    DateTimeOffset? ValidFrom = null,
    DateTimeOffset? ValidTo = null)
{
    /// <summary>"2026-09-01T10:00:00Z .. 2026-12-01T10:00:00Z" (or ".. now" for the active key).</summary>
    public string Window => $"{Stamp(ValidFrom ?? CreatedAt)} .. {(ValidTo is { } to ? Stamp(to) : "now")}";

    internal static string Stamp(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);
}

public static class KeyStatus
{
    public const string Active = "ACTIVE";
    public const string Archived = "ARCHIVED";
    public const string Purged = "PURGED";
}

/// <summary>What <see cref="TenantRegistry.RecordKeyRotationAsync"/> did: the new version and the version it archived (null for the first key).</summary>
public sealed record KeyRotationResult(int KeyVersion, int? ArchivedVersion, string PublicKeyHash);

/// <summary>
/// The start of a runbook run, for <c>runbook_runs</c>, recorded before the run acts. <paramref name="PreviousSha256"/> is
/// the SHA-256 of the scope's evidence chain head the run will link to (null for a first file); Tenant is null for a fleet run.
/// </summary>
public sealed record RunStart(string Runbook, string Version, string Sha256, TenantId? Tenant, bool DryRun, DateTimeOffset StartedAt,
    string? PreviousSha256 = null);

/// <summary>
/// The end of a run: its status (<see cref="RunStatus"/>), and the evidence it wrote: the file's path relative to the
/// evidence root ("acme/20261202T…-verify.json") and the SHA-256 of its bytes. Both null only when no evidence could be written.
/// </summary>
public sealed record RunFinish(string Status, DateTimeOffset FinishedAt, string? EvidenceFile, string? EvidenceSha256);

public static class RunStatus
{
    public const string Running = "running";
    public const string Succeeded = "succeeded";
    public const string Failed = "failed";
    /// <summary>Nothing failed, but something that should have been verified was not.</summary>
    public const string Incomplete = "incomplete";
}

/// <summary>A row of <c>runbook_runs</c>, as the evidence cross-check reads it.</summary>
public sealed record RunRow(
    Guid Id, string Runbook, string Version, string Sha256, string Scope, string? TenantId, string Status, bool DryRun,
    DateTimeOffset StartedAt, DateTimeOffset? FinishedAt, string? PreviousSha256, string? EvidenceFile, string? EvidenceSha256);

/// <summary>A row of <c>audit_events</c>; Details is the JSON text.</summary>
public sealed record AuditEventRecord(long Id, DateTimeOffset OccurredAt, string EventType, string? TenantId, string Details);
