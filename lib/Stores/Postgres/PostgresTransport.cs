using System.Net;
using Npgsql;

namespace RunbookHost.Stores.Postgres;

/// <summary>
/// How a connection string protects the wire, for `doctor`. Tenant passwords travel in SCRAM exchanges and
/// tenant data in query results; over a network anything short of certificate verification can be
/// intercepted by whoever sits in between. On loopback or a Unix socket there is no wire to protect.
/// </summary>
public static class PostgresTransport
{
    /// <summary>One line: what the connection string does, and a WARNING when it leaves the machine unverified.</summary>
    public static string Describe(NpgsqlConnectionStringBuilder connection)
    {
        var mode = connection.SslMode;
        var verified = mode is SslMode.VerifyCA or SslMode.VerifyFull;
        if (IsLocal(connection.Host))
            return verified ? $"TLS {mode}" : $"SSL Mode={mode} on a local connection";
        return verified
            ? $"TLS {mode}"
            : $"WARNING: SSL Mode={mode} to {connection.Host} does not verify the server's certificate; use SSL Mode=VerifyFull (docs/stores.md)";
    }

    private static bool IsLocal(string? host)
    {
        if (string.IsNullOrEmpty(host) || host.StartsWith('/'))
            return true; // Unix domain socket
        return host.Split(',').All(h => IsLoopbackName(h.Trim()) || IsLoopbackName(WithoutPort(h.Trim())));
    }

    private static bool IsLoopbackName(string name) =>
        name.Equals("localhost", StringComparison.OrdinalIgnoreCase)
        || (IPAddress.TryParse(name.Trim('[', ']'), out var address) && IPAddress.IsLoopback(address));

    // Npgsql accepts "host:port" entries in a multi-host list.
    private static string WithoutPort(string entry) =>
        entry.LastIndexOf(':') is var colon and > 0 ? entry[..colon] : entry;
}
