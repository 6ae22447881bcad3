using System.Net;
using Npgsql;
using RunbookHost.Evidence;
using RunbookHost.Tenants;

namespace RunbookHost.Stores.Postgres;

/// <summary>
/// pg_hba.conf proven, not assumed: the whole of pg_hba_file_rules evaluated top-down for the tenant role
/// (<see cref="PgHbaEvaluator"/>), over every client address, as three questions whose first matching line must give
/// the expected answer, plus whether the server runs the file that was evaluated.
/// </summary>
public sealed partial class PgHbaFile
{
    public const string OwnNetworkTest = "pg_hba_first_match_own_network";
    public const string OutsideNetworkTest = "pg_hba_first_match_outside_network";
    public const string OtherDatabaseTest = "pg_hba_first_match_other_database";
    public const string LoadedTest = "pg_hba_loaded_file";

    /// <summary>
    /// Four catalog checks, no login: the tenant role reaches its database from every address of its network with
    /// a password method; from no address outside it; no other database from anywhere; and the file evaluated is
    /// the one the server loaded. Loopback is left out of "outside": only the database server itself connects from
    /// there (and the host's own verification probes do, when it runs there).
    /// </summary>
    public Task<IReadOnlyList<CheckRecord>> ProveAsync(TenantId tenant, int octet, CancellationToken cancellationToken = default) =>
        ProveAsync(tenant, OctetNetwork(tenant, octet), cancellationToken);

    /// <summary>As <see cref="ProveAsync(TenantId, int, CancellationToken)"/> for the tenant's allocated range (lib/Network).</summary>
    public async Task<IReadOnlyList<CheckRecord>> ProveAsync(TenantId tenant, IPNetwork range, CancellationToken cancellationToken = default)
    {
        var cidr = range.ToString();
        var network = AddressRanges.Of(range);
        var role = TenantStoreNames.PostgresRole(tenant);
        var database = TenantStoreNames.PostgresDatabase(tenant);
        try
        {
            await using var conn = await AdminDataSources.OpenAsync(_adminConnectionString, cancellationToken).ConfigureAwait(false);
            var loaded = await LoadedCheckAsync(conn, cancellationToken).ConfigureAwait(false);
            var errors = await ReadErrorsAsync(conn, cancellationToken).ConfigureAwait(false);
            if (errors.Count > 0)
            {
                var why = $"the file has errors, so the server keeps running an older one: {Format(errors)}";
                return [Expect(OwnNetworkTest, CheckResults.Pass, CheckResults.Fail, why), Expect(OutsideNetworkTest, CheckResults.Pass, CheckResults.Fail, why),
                    Expect(OtherDatabaseTest, CheckResults.Pass, CheckResults.Fail, why), loaded];
            }
            var rules = await ReadAllRulesAsync(conn, cancellationToken).ConfigureAwait(false);
            var memberOf = await MembershipsAsync(conn, role, cancellationToken).ConfigureAwait(false);
            var anywhere = AddressRanges.All.Except(AddressRanges.Loopback);
            var own = PgHbaEvaluator.Answer(rules, role, memberOf,
                new HbaQuestion(OwnNetworkTest, database, network, ExpectAdmitted: true, $"{role} to {database} from {cidr}"));
            var outside = PgHbaEvaluator.Answer(rules, role, memberOf,
                new HbaQuestion(OutsideNetworkTest, database, anywhere.Except(network), ExpectAdmitted: false, $"{role} to {database} from outside {cidr}"));
            var other = OtherDatabases(rules, database, role, memberOf)
                .Select(db => PgHbaEvaluator.Answer(rules, role, memberOf,
                    new HbaQuestion(OtherDatabaseTest, db, anywhere, ExpectAdmitted: false, $"{role} to any database but {database}")))
                .FirstOrDefault(a => a.Problem is not null)
                ?? new HbaAnswer(new HbaQuestion(OtherDatabaseTest, "", anywhere, false, $"{role} to any database but {database}"), null);
            return [ToCheck(own, rules.Count), ToCheck(outside, rules.Count), ToCheck(other, rules.Count), loaded];
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException)
        {
            return [.. new[] { OwnNetworkTest, OutsideNetworkTest, OtherDatabaseTest, LoadedTest }
                .Select(test => CheckRecord.Incomplete(StoreName, test, $"pg_hba_file_rules could not be read: {e.Message}"))];
        }
    }

    private CheckRecord ToCheck(HbaAnswer answer, int lines) => answer.Problem is null
        ? Expect(answer.Question.Test, CheckResults.Pass, CheckResults.Pass,
            $"{answer.Question.Description}: {(answer.Question.ExpectAdmitted ? "admitted" : "refused")} by the first matching line, every address, all {lines} lines evaluated")
        : Expect(answer.Question.Test, CheckResults.Pass, CheckResults.Fail, $"{answer.Question.Description}: {answer.Problem}");

    /// <summary>
    /// Every database name the file could admit the role to, besides its own: each name it mentions, the role's own
    /// name (sameuser), every role it belongs to (samerole), and one name the file never mentions (for "all").
    /// </summary>
    private static IEnumerable<string> OtherDatabases(IEnumerable<HbaRule> rules, string own, string role, IReadOnlySet<string> memberOf) =>
        rules.SelectMany(r => r.Databases)
            .Concat(memberOf)
            .Append(role)
            .Append("postgres")
            .Append("runbook_host_unnamed_database")
            .Where(db => db != own && db is not ("all" or "sameuser" or "samerole" or "samegroup" or "replication"))
            .Distinct(StringComparer.Ordinal);

    /// <summary>The roles <paramref name="role"/> belongs to, directly or through others, itself included (hba.c is_member).</summary>
    private static async Task<IReadOnlySet<string>> MembershipsAsync(NpgsqlConnection conn, string role, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("""
            WITH RECURSIVE up(oid) AS (
                SELECT oid FROM pg_roles WHERE rolname = $1
                UNION SELECT m.roleid FROM pg_auth_members m JOIN up ON m.member = up.oid)
            SELECT r.rolname FROM up JOIN pg_roles r ON r.oid = up.oid
            """, conn);
        cmd.Parameters.AddWithValue(role);
        var names = new HashSet<string>(StringComparer.Ordinal) { role };
        await using var reader = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await reader.ReadAsync(ct).ConfigureAwait(false))
            names.Add(reader.GetString(0));
        return names;
    }

    /// <summary>
    /// pg_hba_file_rules parses the file on disk; the server enforces what it last loaded. They are the same file when
    /// it is the one this host manages (SHOW hba_file) and was not modified after the last reload (pg_conf_load_time()).
    /// </summary>
    private async Task<CheckRecord> LoadedCheckAsync(NpgsqlConnection conn, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("SELECT current_setting('hba_file'), pg_conf_load_time()", conn);
        string hbaFile;
        DateTimeOffset loadedAt;
        await using (var reader = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false))
        {
            await reader.ReadAsync(ct).ConfigureAwait(false);
            hbaFile = reader.GetString(0);
            loadedAt = reader.GetFieldValue<DateTimeOffset>(1);
        }
        if (!string.Equals(System.IO.Path.GetFullPath(hbaFile), Path, StringComparison.Ordinal))
            return Expect(LoadedTest, CheckResults.Pass, CheckResults.Fail, $"the server reads {hbaFile}, not the managed {Path}");
        DateTimeOffset modified;
        try
        {
            modified = File.GetLastWriteTimeUtc(Path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return CheckRecord.Incomplete(StoreName, LoadedTest, $"cannot read the modification time of {Path}: {e.Message}");
        }
        // pg_conf_load_time() is the session's own: a backend applies a reload only when it next goes idle. A new
        // backend starts from the postmaster's, so ask fresh sessions for a moment before calling the file unloaded.
        for (var attempt = 0; modified > loadedAt && attempt < 10; attempt++)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(200), _time, ct).ConfigureAwait(false);
            await using var fresh = await UnpooledSession.OpenAsync(_adminConnectionString, ct).ConfigureAwait(false);
            await using var again = new NpgsqlCommand("SELECT pg_conf_load_time()", fresh.Connection);
            await using var reader = await again.ExecuteReaderAsync(ct).ConfigureAwait(false);
            await reader.ReadAsync(ct).ConfigureAwait(false);
            loadedAt = reader.GetFieldValue<DateTimeOffset>(0);
        }
        return modified <= loadedAt
            ? Expect(LoadedTest, CheckResults.Pass, CheckResults.Pass, $"{Path}, unchanged since the server loaded it at {loadedAt:O}")
            : Expect(LoadedTest, CheckResults.Pass, CheckResults.Fail, $"{Path} changed at {modified:O}, after the server last loaded its configuration ({loadedAt:O}): run SELECT pg_reload_conf()");
    }
}
