using System.Text.RegularExpressions;
using Npgsql;
using RunbookHost.Evidence;

namespace RunbookHost.Stores.Postgres;

/// <summary>
/// Opt-in cluster hardening (<c>Postgres:HardenSystemDatabases</c>): CONNECT on <c>postgres</c> and <c>template1</c> revoked
/// from PUBLIC, so a tenant role can log in to its own database only. Next to the Redis default-user hardening.
/// </summary>
public sealed partial class PostgresTenantStore
{
    public const string SystemDatabasesTest = "system_databases_public_connect";

    /// <summary>The databases every cluster has and every role may CONNECT to by default.</summary>
    public static IReadOnlyList<string> SystemDatabases { get; } = ["postgres", "template1"];

    [GeneratedRegex("^[a-z_][a-z0-9_]{0,62}$")]
    private static partial Regex PlainDatabaseName();

    /// <summary>The statements <see cref="RevokePublicConnectAsync"/> runs, for a dry run.</summary>
    public static IReadOnlyList<string> DescribeRevokePublicConnect(IReadOnlyList<string>? databases = null) =>
        [.. Validated(databases).Select(db =>
            $"REVOKE CONNECT ON DATABASE {PgSql.Ident(db)} FROM PUBLIC; -- a non-superuser admin must own it, and keeps CONNECT: GRANT CONNECT ON DATABASE {PgSql.Ident(db)} TO CURRENT_USER first")];

    /// <summary>For each database, whether PUBLIC may CONNECT to it (a NULL datacl is the default, which grants it).</summary>
    public async Task<IReadOnlyDictionary<string, bool>> PublicConnectAsync(IReadOnlyList<string>? databases = null, CancellationToken cancellationToken = default)
    {
        var names = Validated(databases);
        await using var conn = await OpenAdminAsync(cancellationToken).ConfigureAwait(false);
        await using var cmd = new NpgsqlCommand("""
            SELECT d.datname, d.datacl IS NULL OR EXISTS (SELECT 1 FROM aclexplode(d.datacl) a WHERE a.grantee = 0 AND a.privilege_type = 'CONNECT')
            FROM pg_database d WHERE d.datname = ANY($1)
            """, conn);
        cmd.Parameters.AddWithValue(names.ToArray());
        var result = new Dictionary<string, bool>(StringComparer.Ordinal);
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            result[reader.GetString(0)] = reader.GetBoolean(1);
        return result;
    }

    /// <summary>Revokes CONNECT from PUBLIC on each database (idempotent). A non-superuser admin must own them; it keeps CONNECT for itself.</summary>
    public async Task RevokePublicConnectAsync(IReadOnlyList<string>? databases = null, CancellationToken cancellationToken = default)
    {
        var names = Validated(databases);
        await using var conn = await OpenAdminAsync(cancellationToken).ConfigureAwait(false);
        await using var who = new NpgsqlCommand("SELECT rolsuper FROM pg_roles WHERE rolname = current_user", conn);
        var superuser = (bool)(await who.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
        foreach (var db in names)
        {
            if (!superuser)
            {
                await using var owns = new NpgsqlCommand("SELECT pg_get_userbyid(datdba) = current_user FROM pg_database WHERE datname = $1", conn);
                owns.Parameters.AddWithValue(db);
                if (await owns.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is not true)
                    throw new InvalidOperationException($"cannot revoke CONNECT on {db} from PUBLIC: the admin role is neither a superuser nor the owner of {db}");
                await ExecAsync(conn, $"GRANT CONNECT ON DATABASE {PgSql.Ident(db)} TO CURRENT_USER", cancellationToken).ConfigureAwait(false);
            }
            await ExecAsync(conn, $"REVOKE CONNECT ON DATABASE {PgSql.Ident(db)} FROM PUBLIC", cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>PASS when PUBLIC may CONNECT to none of the databases.</summary>
    public async Task<CheckRecord> VerifyPublicConnectRevokedAsync(IReadOnlyList<string>? databases = null, CancellationToken cancellationToken = default)
    {
        var state = await PublicConnectAsync(databases, cancellationToken).ConfigureAwait(false);
        var open = state.Where(p => p.Value).Select(p => p.Key).Order(StringComparer.Ordinal).ToList();
        return open.Count == 0
            ? Expect(SystemDatabasesTest, CheckResults.Pass, CheckResults.Pass, $"PUBLIC may not CONNECT to {string.Join(", ", state.Keys.Order(StringComparer.Ordinal))}")
            : Expect(SystemDatabasesTest, CheckResults.Pass, CheckResults.Fail, $"PUBLIC may CONNECT to {string.Join(", ", open)}: every tenant role can log in there");
    }

    private static IReadOnlyList<string> Validated(IReadOnlyList<string>? databases)
    {
        var names = databases ?? SystemDatabases;
        foreach (var db in names)
        {
            if (!PlainDatabaseName().IsMatch(db))
                throw new ArgumentException($"'{db}' is not a plain database name", nameof(databases));
        }
        return names;
    }
}
