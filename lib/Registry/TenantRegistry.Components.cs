using Npgsql;
using NpgsqlTypes;
using RunbookHost.Runbooks;
using RunbookHost.Tenants;

namespace RunbookHost.Registry;

/// <summary>What each tenant was provisioned in (<c>tenant_components</c>): verification proves what is recorded here.</summary>
public sealed partial class TenantRegistry
{
    /// <summary>Records (or refreshes) that <paramref name="tenant"/> has <paramref name="component"/>.</summary>
    public async Task RecordComponentAsync(TenantId tenant, TenantComponent component, CancellationToken cancellationToken = default)
    {
        await using var conn = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var cmd = new NpgsqlCommand(
            "INSERT INTO tenant_components (tenant_id, component, provisioned_by, provisioned_at, detail) VALUES ($1, $2, $3, $4, $5) " +
            "ON CONFLICT (tenant_id, component) DO UPDATE SET provisioned_by = EXCLUDED.provisioned_by, provisioned_at = EXCLUDED.provisioned_at, detail = EXCLUDED.detail",
            conn);
        cmd.Parameters.AddWithValue(tenant.Value);
        cmd.Parameters.AddWithValue(component.Name);
        cmd.Parameters.AddWithValue(component.ProvisionedBy);
        cmd.Parameters.AddWithValue(component.ProvisionedAt.ToUniversalTime());
        cmd.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Text, Value = (object?)component.Detail ?? DBNull.Value });
        await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task RemoveComponentAsync(TenantId tenant, string component, CancellationToken cancellationToken = default)
    {
        await using var conn = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var cmd = new NpgsqlCommand("DELETE FROM tenant_components WHERE tenant_id = $1 AND component = $2", conn);
        cmd.Parameters.AddWithValue(tenant.Value);
        cmd.Parameters.AddWithValue(component);
        await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Every tenant's recorded components (tenants with none are absent from the result).</summary>
    public async Task<IReadOnlyDictionary<TenantId, IReadOnlyList<TenantComponent>>> ListComponentsAsync(TenantId? tenant = null,
        CancellationToken cancellationToken = default)
    {
        await using var conn = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var cmd = new NpgsqlCommand(
            "SELECT tenant_id, component, provisioned_by, provisioned_at, detail FROM tenant_components WHERE ($1::text IS NULL OR tenant_id = $1) ORDER BY tenant_id, component",
            conn);
        cmd.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Text, Value = (object?)tenant?.Value ?? DBNull.Value });
        var result = new Dictionary<TenantId, List<TenantComponent>>();
        await using var r = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await r.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var id = TenantId.Parse(r.GetString(0));
            if (!result.TryGetValue(id, out var list))
                result[id] = list = [];
            list.Add(new TenantComponent(r.GetString(1), r.GetString(2), r.GetFieldValue<DateTimeOffset>(3), r.IsDBNull(4) ? null : r.GetString(4)));
        }
        return result.ToDictionary(p => p.Key, p => (IReadOnlyList<TenantComponent>)p.Value);
    }
}
