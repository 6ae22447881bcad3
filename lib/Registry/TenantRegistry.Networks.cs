using System.Net;
using Npgsql;
using RunbookHost.Network;
using RunbookHost.Tenants;

namespace RunbookHost.Registry;

/// <summary>
/// Tenants' private networks (migration 7, tenant_networks): one range per tenant from the configured
/// <see cref="NetworkPool"/>, never overlapping another tenant's (an exclusion constraint, whatever pools were used).
/// In a <c>{octet}</c> pool a tenant's slot is its tenant_octet, so tenants registered before this table keep theirs.
/// </summary>
public sealed partial class TenantRegistry
{
    /// <summary>
    /// The tenant's network: the one it has (whatever pool it came from: a tenant keeps its range when the pool changes),
    /// else a new one, the lowest free slot of <paramref name="pool"/>. Throws <see cref="NetworkPoolExhaustedException"/>
    /// when none is left. Serialized with octet allocation (same advisory lock), so concurrent runs never collide.
    /// </summary>
    public async Task<(TenantNetwork Network, bool Allocated)> AllocateNetworkAsync(TenantId tenant, NetworkPool pool, CancellationToken cancellationToken = default)
    {
        await using var conn = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var tx = await conn.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using (var lockCmd = new NpgsqlCommand("SELECT pg_advisory_xact_lock($1)", conn, tx))
        {
            lockCmd.Parameters.AddWithValue(AdvisoryLockKey.Octets);
            await lockCmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        if (await GetNetworkAsync(conn, tx, tenant, cancellationToken).ConfigureAwait(false) is { } existing)
            return (existing, false);

        var slot = pool.IsOctetPool ? await OwnOctetAsync(conn, tx, tenant, cancellationToken).ConfigureAwait(false) : null;
        slot ??= await FreeSlotAsync(conn, tx, tenant, pool, cancellationToken).ConfigureAwait(false)
            ?? throw new NetworkPoolExhaustedException(tenant, pool);
        var network = new TenantNetwork(tenant, pool.Template, slot.Value, pool.NetworkFor(slot.Value));
        await using (var insert = new NpgsqlCommand(
            "INSERT INTO tenant_networks (tenant_id, pool, slot, network, is_octet) VALUES ($1, $2, $3, $4::cidr, $5)", conn, tx))
        {
            insert.Parameters.AddWithValue(tenant.Value);
            insert.Parameters.AddWithValue(pool.Template);
            insert.Parameters.AddWithValue(slot.Value);
            insert.Parameters.AddWithValue(network.Cidr);
            insert.Parameters.AddWithValue(pool.IsOctetPool);
            await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        if (pool.IsOctetPool)
        {
            // A registered tenant without an octet takes its slot as octet: tenant_octet and the network stay one number.
            await using var adopt = new NpgsqlCommand("UPDATE tenants SET tenant_octet = $2 WHERE tenant_id = $1 AND tenant_octet IS NULL", conn, tx);
            adopt.Parameters.AddWithValue(tenant.Value);
            adopt.Parameters.AddWithValue(slot.Value);
            await adopt.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
        return (network, true);
    }

    /// <summary>The tenant's network, or null when it has none.</summary>
    public async Task<TenantNetwork?> GetNetworkAsync(TenantId tenant, CancellationToken cancellationToken = default)
    {
        await using var conn = await OpenAsync(cancellationToken).ConfigureAwait(false);
        return await GetNetworkAsync(conn, null, tenant, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Every allocated network, ordered by tenant (the fleet proof's view).</summary>
    public async Task<IReadOnlyList<TenantNetwork>> ListNetworksAsync(CancellationToken cancellationToken = default)
    {
        await using var conn = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var cmd = new NpgsqlCommand("SELECT tenant_id, pool, slot, network::text FROM tenant_networks ORDER BY tenant_id", conn);
        return await ReadNetworksAsync(cmd, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Returns the tenant's range to the pool (after its network is gone). Absent is fine.</summary>
    public async Task ReleaseNetworkAsync(TenantId tenant, CancellationToken cancellationToken = default)
    {
        await using var conn = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var cmd = new NpgsqlCommand("DELETE FROM tenant_networks WHERE tenant_id = $1", conn);
        cmd.Parameters.AddWithValue(tenant.Value);
        await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>SQL fragment for octet allocation: octets that other tenants hold as the slot of an octet pool.</summary>
    internal const string OctetsReservedByNetworks = "SELECT slot FROM tenant_networks WHERE is_octet AND tenant_id <> $1";

    /// <summary>The tenant's own network slot in an octet pool (reserved before it registered), or null.</summary>
    private static async Task<int?> ReservedOctetAsync(NpgsqlConnection conn, NpgsqlTransaction tx, TenantId tenant, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("SELECT slot FROM tenant_networks WHERE tenant_id = $1 AND is_octet", conn, tx);
        cmd.Parameters.AddWithValue(tenant.Value);
        return await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false) as int?;
    }

    private static async Task<int?> OwnOctetAsync(NpgsqlConnection conn, NpgsqlTransaction tx, TenantId tenant, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("SELECT tenant_octet FROM tenants WHERE tenant_id = $1", conn, tx);
        cmd.Parameters.AddWithValue(tenant.Value);
        return await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false) as int?;
    }

    /// <summary>
    /// The lowest slot of <paramref name="pool"/> whose range overlaps no allocated network and, in an octet pool, is no
    /// other tenant's tenant_octet (that tenant keeps it for when it gets its network). Null when there is none.
    /// </summary>
    private static async Task<int?> FreeSlotAsync(NpgsqlConnection conn, NpgsqlTransaction tx, TenantId tenant, NetworkPool pool, CancellationToken ct)
    {
        var taken = new HashSet<int>();
        var foreign = new List<IPNetwork>();
        await using (var cmd = new NpgsqlCommand("SELECT pool, slot, network::text FROM tenant_networks", conn, tx))
        await using (var reader = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
            {
                if (reader.GetString(0) == pool.Template)
                    taken.Add(reader.GetInt32(1));
                else
                    foreign.Add(IPNetwork.Parse(reader.GetString(2)));
            }
        }
        if (pool.IsOctetPool)
        {
            await using var octets = new NpgsqlCommand("SELECT tenant_octet FROM tenants WHERE tenant_octet IS NOT NULL AND tenant_id <> $1", conn, tx);
            octets.Parameters.AddWithValue(tenant.Value);
            await using var reader = await octets.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
                taken.Add(reader.GetInt32(0));
        }
        for (var slot = pool.FirstSlot; slot <= pool.LastSlot; slot++)
        {
            if (taken.Contains(slot))
                continue;
            var range = pool.NetworkFor(slot);
            if (!foreign.Any(f => f.Contains(range.BaseAddress) || range.Contains(f.BaseAddress)))
                return slot;
        }
        return null;
    }

    private static async Task<TenantNetwork?> GetNetworkAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, TenantId tenant, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("SELECT tenant_id, pool, slot, network::text FROM tenant_networks WHERE tenant_id = $1", conn, tx);
        cmd.Parameters.AddWithValue(tenant.Value);
        var rows = await ReadNetworksAsync(cmd, ct).ConfigureAwait(false);
        return rows.Count == 0 ? null : rows[0];
    }

    private static async Task<IReadOnlyList<TenantNetwork>> ReadNetworksAsync(NpgsqlCommand cmd, CancellationToken ct)
    {
        var list = new List<TenantNetwork>();
        await using var reader = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await reader.ReadAsync(ct).ConfigureAwait(false))
            list.Add(new TenantNetwork(TenantId.Parse(reader.GetString(0)), reader.GetString(1), reader.GetInt32(2), IPNetwork.Parse(reader.GetString(3))));
        return list;
    }
}
