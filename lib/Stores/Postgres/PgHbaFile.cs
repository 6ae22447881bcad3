using System.Net;
using System.Text;
using Npgsql;
using RunbookHost.Configuration;
using RunbookHost.Evidence;
using RunbookHost.IO;
using RunbookHost.Tenants;

namespace RunbookHost.Stores.Postgres;

/// <summary>
/// Optional pg_hba.conf management (spec §3.2): one line per tenant in a managed block of the server's
/// pg_hba.conf, which this process must be able to read and write (same machine or a shared volume).
/// Every edit runs under a PostgreSQL advisory lock (so parallel runs and hosts do not lose each other's
/// lines), is written atomically with the file's mode and owner kept, checked in <c>pg_hba_file_rules</c>
/// and only then loaded with <c>pg_reload_conf()</c>. If PostgreSQL reports any error in the file, or does
/// not see the expected change, the previous content is written back, reloaded, and the edit throws.
/// See docs/stores.md "pg_hba.conf management".
/// </summary>
public sealed partial class PgHbaFile
{
    public const string StoreName = PostgresTenantStore.StoreName;

    /// <summary>pg_advisory_lock key serialising edits: first 8 bytes of SHA-256("runbook-host:pg_hba").</summary>
    private static readonly long LockKey = BitConverter.ToInt64(System.Security.Cryptography.SHA256.HashData("runbook-host:pg_hba"u8)[..8]);

    private readonly string _adminConnectionString;
    private readonly TimeProvider _time;

    public PgHbaFile(string path, PgHbaPolicy policy, string adminConnectionString, TimeProvider? time = null)
    {
        if (string.IsNullOrWhiteSpace(path))
            throw new ArgumentException("pg_hba.conf path is empty", nameof(path));
        ArgumentNullException.ThrowIfNull(policy);
        if (string.IsNullOrWhiteSpace(adminConnectionString))
            throw new ArgumentException("PostgreSQL admin connection string is empty", nameof(adminConnectionString));
        Path = System.IO.Path.GetFullPath(path);
        Policy = policy;
        _adminConnectionString = adminConnectionString;
        _time = time ?? TimeProvider.System;
    }

    private CheckRecord Expect(string test, string expected, string actual, string? detail = null) =>
        Checks.Expect(_time.GetUtcNow(), StoreName, test, expected, actual, detail);

    /// <summary>Null when <see cref="PostgresSettings.HbaFile"/> is empty (management off, the default). Throws on an invalid template or method.</summary>
    public static PgHbaFile? FromSettings(PostgresSettings settings, TimeProvider? time = null) =>
        string.IsNullOrWhiteSpace(settings.HbaFile) || string.IsNullOrWhiteSpace(settings.AdminConnectionString)
            ? null
            : new PgHbaFile(settings.HbaFile, PgHbaPolicy.Create(settings.HbaCidrTemplate, settings.HbaMethod), settings.AdminConnectionString, time);

    public string Path { get; }

    public PgHbaPolicy Policy { get; }

    /// <summary>Test seam: changes the text after the edit, just before it is written (to simulate a file PostgreSQL rejects).</summary>
    internal Func<string, string>? BeforeWrite { get; set; }

    public IReadOnlyList<string> DescribeAllow(TenantId tenant, int? octet) =>
    [
        $"pg_hba.conf {Path}: in the block '{PgHbaText.BeginMarker}' (inserted before the first 'all' rule if absent), set the line for {TenantStoreNames.PostgresDatabase(tenant)} to: "
            + (octet is int o ? Policy.LineFor(tenant, o) : Policy.DescribeLine(tenant) + "   (<tenant_octet> from the registry)"),
        "check SELECT line_number, error FROM pg_hba_file_rules WHERE error IS NOT NULL (none allowed; else the previous file is restored), then SELECT pg_reload_conf()",
    ];

    public IReadOnlyList<string> DescribeRemove(TenantId tenant) =>
    [
        $"pg_hba.conf {Path}: remove the managed line for database {TenantStoreNames.PostgresDatabase(tenant)} / user {TenantStoreNames.PostgresRole(tenant)} (absent is fine)",
        "check SELECT line_number, error FROM pg_hba_file_rules WHERE error IS NOT NULL (none allowed; else the previous file is restored), then SELECT pg_reload_conf()",
    ];

    /// <summary>Adds or replaces the tenant's line, then reloads. Idempotent.</summary>
    public Task AllowAsync(TenantId tenant, int octet, CancellationToken cancellationToken = default) =>
        AllowAsync(tenant, OctetNetwork(tenant, octet), cancellationToken);

    /// <summary>The octet's network, after its line was validated (a bad template throws ArgumentException, before any parsing).</summary>
    private IPNetwork OctetNetwork(TenantId tenant, int octet)
    {
        _ = Policy.LineFor(tenant, octet);
        return IPNetwork.Parse(Policy.CidrFor(octet));
    }

    /// <summary>As <see cref="AllowAsync(TenantId, int, CancellationToken)"/> for the tenant's allocated range (lib/Network).</summary>
    public Task AllowAsync(TenantId tenant, IPNetwork network, CancellationToken cancellationToken = default)
    {
        var line = Policy.LineFor(tenant, network); // validated before anything is read or written
        var expected = ExpectedRule(tenant, network);
        return EditAsync(content => PgHbaText.SetTenant(content, tenant, line), tenant, expected, cancellationToken);
    }

    /// <summary>Removes the tenant's line (absent is fine), then reloads. Idempotent.</summary>
    public Task RemoveAsync(TenantId tenant, CancellationToken cancellationToken = default) =>
        EditAsync(content => PgHbaText.RemoveTenant(content, tenant), tenant, null, cancellationToken);

    private async Task EditAsync(Func<string, string> change, TenantId tenant, ExpectedHbaRule? expected, CancellationToken ct)
    {
        await using var conn = await AdminDataSources.OpenAsync(_adminConnectionString, ct).ConfigureAwait(false);
        await ExecAsync(conn, $"SELECT pg_advisory_lock({LockKey})", ct).ConfigureAwait(false);
        try
        {
            var before = await ReadErrorsAsync(conn, ct).ConfigureAwait(false);
            if (before.Count > 0)
                throw new PgHbaException($"{Path} already has errors before this edit ({Format(before)}); fix the file first, nothing was changed");

            var original = await File.ReadAllBytesAsync(Path, ct).ConfigureAwait(false);
            var originalText = DecodeStrict(original);
            var updated = change(originalText);
            if (BeforeWrite is { } seam)
                updated = seam(updated);

            if (!string.Equals(updated, originalText, StringComparison.Ordinal))
            {
                Write(Encoding.UTF8.GetBytes(updated));
                // From here on the edit is finished (checked and reloaded, or rolled back) even if cancelled.
                ct = CancellationToken.None;
                string? problem;
                try
                {
                    var errors = await ReadErrorsAsync(conn, ct).ConfigureAwait(false);
                    problem = errors.Count > 0
                        ? $"PostgreSQL rejects the edited file: {Format(errors)}"
                        : await CheckTenantRulesAsync(conn, tenant, expected, ct).ConfigureAwait(false);
                }
                catch (Exception e) when (e is NpgsqlException or TimeoutException)
                {
                    problem = $"could not check the edited file: {e.Message}";
                }
                if (problem is not null)
                {
                    try
                    {
                        Write(original);
                        await ReloadAsync(conn, CancellationToken.None).ConfigureAwait(false);
                    }
                    catch (Exception e) when (e is IOException or UnauthorizedAccessException or NpgsqlException or PgHbaException)
                    {
                        throw new PgHbaException($"{Path}: {problem}; restoring the previous content FAILED ({e.Message}): repair the file by hand");
                    }
                    throw new PgHbaException($"{Path}: {problem}; the previous content was restored and reloaded");
                }
            }
            await ReloadAsync(conn, ct).ConfigureAwait(false);
        }
        finally
        {
            // best effort: closing the session releases the lock anyway
            if (conn.State == System.Data.ConnectionState.Open)
            {
                try { await ExecAsync(conn, $"SELECT pg_advisory_unlock({LockKey})", CancellationToken.None).ConfigureAwait(false); }
                catch (NpgsqlException) { }
            }
        }
    }

    /// <summary>Atomic replace keeping the file's mode and, when running as root, its owner (postgres).</summary>
    private void Write(byte[] content)
    {
        if (!OperatingSystem.IsLinux())
            throw new PlatformNotSupportedException("pg_hba.conf management needs Linux (file owner and mode are kept with statx/fchown)");
        var mode = File.GetUnixFileMode(Path);
        var (uid, gid) = FileOwner.Get(Path);
        var root = FileOwner.EffectiveUid == 0;
        if (!root && uid != FileOwner.EffectiveUid)
            throw new PgHbaException($"{Path} is owned by uid {uid}; runbook-host runs as uid {FileOwner.EffectiveUid} and could not keep that owner (run as the file's owner or as root)");
        AtomicFile.Write(Path, content, mode, handle =>
        {
            if (OperatingSystem.IsLinux())
                File.SetUnixFileMode(handle, mode); // exact, whatever the umask
            if (root)
                FileOwner.Set(handle, uid, gid);
        });
    }

    private static async Task ReloadAsync(NpgsqlConnection conn, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("SELECT pg_reload_conf()", conn);
        if (await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false) is not true)
            throw new PgHbaException("SELECT pg_reload_conf() returned false (the server could not be signalled)");
    }

    private static string DecodeStrict(byte[] bytes)
    {
        try
        {
            return new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true).GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            throw new PgHbaException("pg_hba.conf is not valid UTF-8; refusing to rewrite it");
        }
    }

    private static string Format(IEnumerable<(int? Line, string Error)> errors) =>
        string.Join("; ", errors.Select(e => e.Line is int l ? $"line {l}: {e.Error}" : e.Error));

    private static async Task ExecAsync(NpgsqlConnection conn, string sql, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(sql, conn);
        await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }
}

/// <summary>A pg_hba.conf edit was refused or rolled back. The message says why and what state the file is in.</summary>
public sealed class PgHbaException(string message) : Exception(message);
