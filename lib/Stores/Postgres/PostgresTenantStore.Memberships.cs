using Npgsql;
using RunbookHost.Evidence;
using RunbookHost.Tenants;

namespace RunbookHost.Stores.Postgres;

/// <summary>A membership between two tenant roles: <c>Member</c> may act with the privileges of <c>Role</c>.</summary>
public sealed record TenantRoleMembership(string Role, string Member, string Grantor)
{
    public override string ToString() => $"{Member} is a member of {Role} (granted by {Grantor})";
}

/// <summary>
/// Memberships between tenant roles. On PostgreSQL 15 and older a role may grant membership in itself without any
/// ADMIN OPTION, so a tenant with its own credentials can hand its database to another tenant
/// (<c>GRANT tenant_a_user TO tenant_b_user</c>). verify reports each such membership; deprovision revokes them.
/// </summary>
public sealed partial class PostgresTenantStore
{
    public const string MembershipsTest = "tenant_role_memberships";

    /// <summary>Every membership, in either direction, between the tenant's role and another tenant role.</summary>
    public async Task<IReadOnlyList<TenantRoleMembership>> GetTenantMembershipsAsync(TenantId tenant, CancellationToken cancellationToken = default)
    {
        await using var conn = await OpenAdminAsync(cancellationToken).ConfigureAwait(false);
        return await TenantMembershipsAsync(conn, tenant, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>PASS when the tenant's role neither belongs to another tenant role nor has one as a member.</summary>
    public async Task<CheckRecord> VerifyMembershipsAsync(TenantId tenant, CancellationToken cancellationToken = default)
    {
        var found = await GetTenantMembershipsAsync(tenant, cancellationToken).ConfigureAwait(false);
        return found.Count == 0
            ? Expect(MembershipsTest, CheckResults.Pass, CheckResults.Pass, $"{TenantStoreNames.PostgresRole(tenant)} has no membership with another tenant role")
            : Expect(MembershipsTest, CheckResults.Pass, CheckResults.Fail, string.Join("; ", found));
    }

    private static async Task<List<TenantRoleMembership>> TenantMembershipsAsync(NpgsqlConnection admin, TenantId tenant, CancellationToken ct)
    {
        const string sql = """
            SELECT r.rolname, m.rolname, g.rolname
            FROM pg_auth_members a
            JOIN pg_roles r ON r.oid = a.roleid
            JOIN pg_roles m ON m.oid = a.member
            LEFT JOIN pg_roles g ON g.oid = a.grantor
            WHERE r.rolname ~ $2 AND m.rolname ~ $2 AND r.rolname <> m.rolname AND (r.rolname = $1 OR m.rolname = $1)
            ORDER BY 1, 2
            """;
        await using var cmd = new NpgsqlCommand(sql, admin);
        cmd.Parameters.AddWithValue(TenantStoreNames.PostgresRole(tenant));
        cmd.Parameters.AddWithValue(TenantRolePattern);
        var found = new List<TenantRoleMembership>();
        await using var reader = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await reader.ReadAsync(ct).ConfigureAwait(false))
            found.Add(new TenantRoleMembership(reader.GetString(0), reader.GetString(1), reader.IsDBNull(2) ? "?" : reader.GetString(2)));
        return found;
    }

    /// <summary>Revokes every membership between the tenant's role and other tenant roles (names come from the catalog, match the tenant role pattern, and are quoted).</summary>
    private static async Task RevokeTenantMembershipsAsync(NpgsqlConnection admin, TenantId tenant, CancellationToken ct)
    {
        foreach (var m in await TenantMembershipsAsync(admin, tenant, ct).ConfigureAwait(false))
            await ExecAsync(admin, $"REVOKE {PgSql.Ident(m.Role)} FROM {PgSql.Ident(m.Member)}", ct).ConfigureAwait(false);
    }
}
