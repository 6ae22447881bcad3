namespace RunbookHost.Network.Hetzner;

/// <summary>A tenant's DNS record: <c>tenant-&lt;id&gt;.&lt;zone&gt; A &lt;server's public IPv4&gt;</c>.</summary>
public sealed record TenantDnsRecord(string Name, string Type, string Value, int Ttl)
{
    public override string ToString() => $"{Name} {Ttl} IN {Type} {Value}";
}

/// <summary>
/// The external DNS integration point (the summary leaves the DNS provider open). Implementations publish and remove a
/// record idempotently; the host ships none, so without one the DNS step is skipped and says which record it would publish.
/// </summary>
public interface IDnsRecordPublisher
{
    /// <summary>Names the integration in step descriptions, e.g. "hetzner-dns" or "route53".</summary>
    string Name { get; }

    Task UpsertAsync(TenantDnsRecord record, CancellationToken cancellationToken);

    Task RemoveAsync(TenantDnsRecord record, CancellationToken cancellationToken);
}
