using Npgsql;
using RunbookHost.Evidence;
using RunbookHost.Tenants;

namespace RunbookHost.Stores.Postgres;

/// <summary>Fleet-wide proof: the CONNECT matrix of every tenant role against every tenant database, from the catalog.</summary>
public sealed partial class PostgresTenantStore
{
    internal const string TenantDatabasePattern = "^tenant_[a-z][a-z0-9]{2,31}$";
    internal const string TenantRolePattern = "^tenant_[a-z][a-z0-9]{2,31}_user$";

    /// <summary>
    /// Fleet-wide proof in one catalog query: for every tenant role × every tenant database,
    /// has_database_privilege(role, db, 'CONNECT'). Cross-tenant pairs must all be denied; each
    /// tenant's own pair should be allowed. <paramref name="onlyTenants"/> limits both sides (tests, partial fleets).
    /// </summary>
    public async Task<PostgresFleetReport> VerifyFleetAsync(IReadOnlyCollection<TenantId>? onlyTenants = null,
        CancellationToken cancellationToken = default)
    {
        const string sql = """
            SELECT r.rolname, d.datname, has_database_privilege(r.oid, d.oid, 'CONNECT')
            FROM pg_roles r CROSS JOIN pg_database d
            WHERE r.rolname ~ $1 AND d.datname ~ $2
              AND ($3::text[] IS NULL OR (r.rolname = ANY($3) AND d.datname = ANY($4)))
            """;
        await using var conn = await OpenAdminAsync(cancellationToken).ConfigureAwait(false);
        await using var cmd = new NpgsqlCommand(sql, conn);
        cmd.Parameters.AddWithValue(TenantRolePattern);
        cmd.Parameters.AddWithValue(TenantDatabasePattern);
        cmd.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Text,
            Value = onlyTenants is null ? DBNull.Value : onlyTenants.Select(TenantStoreNames.PostgresRole).ToArray() });
        cmd.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Text,
            Value = onlyTenants is null ? DBNull.Value : onlyTenants.Select(TenantStoreNames.PostgresDatabase).ToArray() });

        var roles = new HashSet<string>(StringComparer.Ordinal);
        var databases = new HashSet<string>(StringComparer.Ordinal);
        var violations = new List<PostgresConnectViolation>();
        var ownMissing = new List<string>();
        int checkedPairs = 0, denied = 0, ownPairs = 0;
        await using (var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                if (reader.IsDBNull(2))
                    continue; // the database or role was dropped while the query ran
                var role = reader.GetString(0);
                var db = reader.GetString(1);
                var canConnect = reader.GetBoolean(2);
                roles.Add(role);
                databases.Add(db);
                var roleTenant = TenantStoreNames.TenantOfUser(role);
                var dbTenant = TenantStoreNames.TenantOfPostgresDatabase(db);
                if (roleTenant is not null && roleTenant == dbTenant)
                {
                    ownPairs++;
                    if (!canConnect)
                        ownMissing.Add(role);
                    continue;
                }
                checkedPairs++;
                if (canConnect)
                    violations.Add(new PostgresConnectViolation(role, db));
                else
                    denied++;
            }
        }
        // Informational: other databases tenant roles may CONNECT to (postgres, template1, … unless revoked or blocked by pg_hba).
        const string others = """
            SELECT d.datname, count(*) FROM pg_roles r CROSS JOIN pg_database d
            WHERE r.rolname ~ $1 AND d.datname !~ $2 AND d.datallowconn
              AND ($3::text[] IS NULL OR r.rolname = ANY($3))
              AND has_database_privilege(r.oid, d.oid, 'CONNECT')
            GROUP BY d.datname ORDER BY d.datname
            """;
        var reachable = new SortedDictionary<string, int>(StringComparer.Ordinal);
        cmd.CommandText = others;
        cmd.Parameters.RemoveAt(3);
        await using (var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                reachable[reader.GetString(0)] = (int)reader.GetInt64(1);
        }
        return new PostgresFleetReport(roles.Count, databases.Count, checkedPairs, denied, ownPairs, violations, ownMissing, reachable) { CheckedAt = _time.GetUtcNow() };
    }
}

/// <summary>A tenant role that can CONNECT to another tenant's database.</summary>
public sealed record PostgresConnectViolation(string Role, string Database);

/// <summary>
/// Fleet-wide CONNECT matrix. PairsChecked counts cross-tenant (role, database) pairs; PairsDenied of those
/// must equal PairsChecked. OwnPairs counts each tenant's own pair; OwnConnectMissing lists roles that cannot reach their own database.
/// NonTenantDatabasesReachable (informational, not a failure) maps other databases to how many tenant roles hold CONNECT on them.
/// </summary>
public sealed record PostgresFleetReport(
    int Roles,
    int Databases,
    int PairsChecked,
    int PairsDenied,
    int OwnPairs,
    IReadOnlyList<PostgresConnectViolation> Violations,
    IReadOnlyList<string> OwnConnectMissing,
    IReadOnlyDictionary<string, int> NonTenantDatabasesReachable)
{
    public bool Pass => Violations.Count == 0 && PairsDenied == PairsChecked;

    /// <summary>When the catalog was read (the store's clock).</summary>
    public DateTimeOffset CheckedAt { get; init; }

    public CheckRecord ToCheck() => new(PostgresTenantStore.StoreName, "fleet_cross_db_connect", Pass ? CheckResults.Pass : CheckResults.Fail,
        CheckedAt, Pass,
        $"{Roles} tenant roles x {Databases} tenant databases: {PairsChecked} cross-tenant pairs checked, {PairsDenied} denied"
        + (Violations.Count == 0 ? "" : "; violations: " + string.Join(", ", Violations.Select(v => $"{v.Role}->{v.Database}")))
        + (NonTenantDatabasesReachable.Count == 0 ? "" : "; note: tenant roles may CONNECT to non-tenant databases "
            + string.Join(", ", NonTenantDatabasesReachable.Select(p => $"{p.Key} ({p.Value} roles)")) + " (revoke CONNECT FROM PUBLIC or restrict in pg_hba.conf)"));
}
