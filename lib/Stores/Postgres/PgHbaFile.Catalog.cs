using System.Net;
using Npgsql;
using RunbookHost.Configuration;
using RunbookHost.Tenants;

namespace RunbookHost.Stores.Postgres;

/// <summary>What the server sees: pg_hba_file_rules rows for the tenant, file errors, and the rule an edit must produce.</summary>
public sealed partial class PgHbaFile
{
    internal sealed record HbaRule(int LineNumber, string Type, string[] Databases, string[] Users, string? Address, string? Netmask, string? Method, string? Error);

    internal sealed record ExpectedHbaRule(string Database, string User, string Address, string Netmask, string Method);

    internal ExpectedHbaRule ExpectedRule(TenantId tenant, int octet) => ExpectedRule(tenant, OctetNetwork(tenant, octet));

    internal ExpectedHbaRule ExpectedRule(TenantId tenant, IPNetwork network) =>
        new(TenantStoreNames.PostgresDatabase(tenant), TenantStoreNames.PostgresRole(tenant),
            network.BaseAddress.ToString(), Netmask(network).ToString(), Policy.Method);

    private static IPAddress Netmask(IPNetwork network)
    {
        var bytes = new byte[network.BaseAddress.GetAddressBytes().Length];
        for (var i = 0; i < network.PrefixLength; i++)
            bytes[i / 8] |= (byte)(0x80 >> (i % 8));
        return new IPAddress(bytes);
    }

    /// <summary>Rules of the file on disk that name the tenant's database or user (pg_hba_file_rules reads the file, not the loaded copy).</summary>
    internal static Task<List<HbaRule>> ReadTenantRulesAsync(NpgsqlConnection conn, TenantId tenant, CancellationToken ct) =>
        ReadRulesAsync(conn, "WHERE $1 = ANY(database) OR $2 = ANY(user_name)",
            [TenantStoreNames.PostgresDatabase(tenant), TenantStoreNames.PostgresRole(tenant)], ct);

    /// <summary>Every line of the file, in order: what a first-match evaluation needs.</summary>
    internal static Task<List<HbaRule>> ReadAllRulesAsync(NpgsqlConnection conn, CancellationToken ct) => ReadRulesAsync(conn, "", [], ct);

    private static async Task<List<HbaRule>> ReadRulesAsync(NpgsqlConnection conn, string where, string[] parameters, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(
            $"SELECT line_number, type, database, user_name, address, netmask, auth_method, error FROM pg_hba_file_rules {where} ORDER BY line_number", conn);
        foreach (var value in parameters)
            cmd.Parameters.AddWithValue(value);
        var rules = new List<HbaRule>();
        await using var reader = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await reader.ReadAsync(ct).ConfigureAwait(false))
        {
            rules.Add(new HbaRule(reader.IsDBNull(0) ? 0 : reader.GetInt32(0), reader.IsDBNull(1) ? "" : reader.GetString(1),
                reader.IsDBNull(2) ? [] : reader.GetFieldValue<string[]>(2), reader.IsDBNull(3) ? [] : reader.GetFieldValue<string[]>(3),
                reader.IsDBNull(4) ? null : reader.GetString(4), reader.IsDBNull(5) ? null : reader.GetString(5),
                reader.IsDBNull(6) ? null : reader.GetString(6), reader.IsDBNull(7) ? null : reader.GetString(7)));
        }
        return rules;
    }

    internal static async Task<List<(int? Line, string Error)>> ReadErrorsAsync(NpgsqlConnection conn, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("SELECT line_number, error FROM pg_hba_file_rules WHERE error IS NOT NULL ORDER BY line_number", conn);
        var errors = new List<(int?, string)>();
        await using var reader = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await reader.ReadAsync(ct).ConfigureAwait(false))
            errors.Add((reader.IsDBNull(0) ? null : reader.GetInt32(0), reader.GetString(1)));
        return errors;
    }

    /// <summary>Null when the server sees exactly the expected tenant rule (or none, for a removal); otherwise what is wrong.</summary>
    private static async Task<string?> CheckTenantRulesAsync(NpgsqlConnection conn, TenantId tenant, ExpectedHbaRule? expected, CancellationToken ct)
    {
        var rules = await ReadTenantRulesAsync(conn, tenant, ct).ConfigureAwait(false);
        if (expected is null)
            return rules.Count == 0 ? null : $"PostgreSQL still sees {rules.Count} rule(s) for {TenantStoreNames.PostgresDatabase(tenant)} (lines {string.Join(", ", rules.Select(r => r.LineNumber))}); is {nameof(PostgresSettings.HbaFile)} the file the server reads (SHOW hba_file)?";
        return rules.Count == 1 && Matches(rules[0], expected)
            ? null
            : $"PostgreSQL does not see exactly the expected rule for {expected.Database} (it sees {rules.Count}); is {nameof(PostgresSettings.HbaFile)} the file the server reads (SHOW hba_file)?";
    }

    internal static bool Matches(HbaRule rule, ExpectedHbaRule expected) =>
        rule.Error is null && rule.Type == "host"
        && rule.Databases is [var db] && db == expected.Database
        && rule.Users is [var user] && user == expected.User
        && rule.Address == expected.Address && rule.Netmask == expected.Netmask && rule.Method == expected.Method;
}
