namespace RunbookHost.Runbooks;

/// <summary>
/// The names of what a tenant can be provisioned in. The registry records each one a tenant was provisioned in
/// (<c>tenant_components</c>), and verification derives what must be proven from that record, never from the
/// current configuration: a store that is not configured now is incomplete for a tenant that has it.
/// </summary>
public static class Component
{
    public const string Keys = "keys";
    public const string Minio = "minio";
    public const string Postgres = "postgres";
    public const string PgHba = "pg_hba";
    public const string Qdrant = "qdrant";
    public const string Redis = "redis";
    public const string Pki = "pki";
    public const string Nats = "nats";
    public const string Network = "network";

    public static readonly IReadOnlyList<string> All = [Keys, Minio, Postgres, PgHba, Qdrant, Redis, Pki, Nats, Network];
}

/// <summary>One row of the registry's component record: the component, the runbook@version that provisioned it, when, and a non-secret detail (e.g. the server version).</summary>
public sealed record TenantComponent(string Name, string ProvisionedBy, DateTimeOffset ProvisionedAt, string? Detail);

/// <summary>
/// What the registry says a tenant has, or <see cref="Unknown"/> with the reason it could not be read (no registry,
/// registry unreachable, a tenant provisioned before components were recorded). Unknown is never treated as "has
/// nothing": every check of something the deployment does not require then becomes incomplete. What a run provisions
/// is added as it goes (<see cref="IComponentLedger"/>), so a provisioning run's own verification proves it.
/// </summary>
public sealed class TenantComponents
{
    private readonly Dictionary<string, TenantComponent> components;

    private TenantComponents(IEnumerable<TenantComponent> components, string? unknownBecause)
    {
        this.components = components.ToDictionary(c => c.Name, StringComparer.Ordinal);
        UnknownBecause = unknownBecause;
    }

    public static TenantComponents Known(IEnumerable<TenantComponent> components) => new(components, null);

    public static TenantComponents Unknown(string because) => new([], because);

    /// <summary>Null when the record was read; otherwise why it could not be.</summary>
    public string? UnknownBecause { get; }

    public bool IsKnown => UnknownBecause is null;

    public IReadOnlyCollection<TenantComponent> All => components.Values.ToList();

    /// <summary>True when the record (or this run) says the tenant has it. False both when it does not and when the record is unknown: ask <see cref="IsKnown"/>.</summary>
    public bool Has(string component) => components.ContainsKey(component);

    public TenantComponent? Get(string component) => components.GetValueOrDefault(component);

    internal void Added(TenantComponent component) => components[component.Name] = component;

    internal void Removed(string component) => components.Remove(component);
}

/// <summary>Records in the registry what a provisioning step gave the tenant (and what deprovisioning removed).</summary>
public interface IComponentLedger
{
    Task RecordAsync(string component, string? detail, CancellationToken cancellationToken);

    Task RemoveAsync(string component, CancellationToken cancellationToken);
}
