using System.Net;
using Npgsql;
using RunbookHost.Evidence;
using RunbookHost.Tenants;

namespace RunbookHost.Stores.Postgres;

/// <summary>Catalog checks for verify and deprovision runs (no login).</summary>
public sealed partial class PgHbaFile
{
    /// <summary>
    /// Catalog check, no login: <c>pg_hba_file_rules</c> has exactly one rule naming the tenant's database or
    /// user, it is the expected host line for its network, it comes before the first non-local <c>all</c>
    /// rule, and the file has no errors.
    /// </summary>
    public Task<CheckRecord> VerifyAsync(TenantId tenant, int octet, CancellationToken cancellationToken = default) =>
        VerifyAsync(tenant, OctetNetwork(tenant, octet), cancellationToken);

    /// <summary>As <see cref="VerifyAsync(TenantId, int, CancellationToken)"/> for the tenant's allocated range (lib/Network).</summary>
    public async Task<CheckRecord> VerifyAsync(TenantId tenant, IPNetwork network, CancellationToken cancellationToken = default)
    {
        const string test = "pg_hba_tenant_network";
        var expected = ExpectedRule(tenant, network);
        var line = Policy.LineFor(tenant, network);
        try
        {
            await using var conn = await AdminDataSources.OpenAsync(_adminConnectionString, cancellationToken).ConfigureAwait(false);
            var errors = await ReadErrorsAsync(conn, cancellationToken).ConfigureAwait(false);
            var rules = await ReadTenantRulesAsync(conn, tenant, cancellationToken).ConfigureAwait(false);
            await using var cmd = new NpgsqlCommand("SELECT min(line_number) FROM pg_hba_file_rules WHERE 'all' = ANY(database) AND type <> 'local'", conn);
            var catchAll = await cmd.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) as int?;
            var problems = new List<string>();
            if (errors.Count > 0)
                problems.Add($"file errors: {Format(errors)}");
            if (rules.Count != 1 || !Matches(rules[0], expected))
                problems.Add($"expected exactly '{line}', found {rules.Count} rule(s) naming the tenant"
                    + (rules.Count == 0 ? "" : " at line(s) " + string.Join(", ", rules.Select(r => r.LineNumber))));
            else if (catchAll is int first && rules[0].LineNumber > first)
                problems.Add($"the tenant rule (line {rules[0].LineNumber}) comes after the catch-all rule at line {first}, so it never matches");
            return problems.Count == 0
                ? Expect(test, CheckResults.Pass, CheckResults.Pass, $"line {rules[0].LineNumber}: {line}")
                : Expect(test, CheckResults.Pass, CheckResults.Fail, string.Join("; ", problems));
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException)
        {
            return Expect(test, CheckResults.Pass, CheckResults.Error, e.Message);
        }
    }

    /// <summary>After deprovisioning: no rule in pg_hba_file_rules names the tenant's database or user.</summary>
    public async Task<CheckRecord> VerifyAbsentAsync(TenantId tenant, CancellationToken cancellationToken = default)
    {
        await using var conn = await AdminDataSources.OpenAsync(_adminConnectionString, cancellationToken).ConfigureAwait(false);
        var rules = await ReadTenantRulesAsync(conn, tenant, cancellationToken).ConfigureAwait(false);
        var absent = rules.Count == 0;
        return new CheckRecord(StoreName, "pg_hba_rule_absent", absent ? "ABSENT" : "PRESENT", _time.GetUtcNow(), absent,
            absent ? $"{Path}: no rule for {TenantStoreNames.PostgresDatabase(tenant)}" : $"{Path}: line(s) {string.Join(", ", rules.Select(r => r.LineNumber))}");
    }
}
