using System.Diagnostics;
using RunbookHost.Tenants;

namespace RunbookHost.Network.Docker;

/// <summary>
/// The host firewall rules that make a tenant's internal Docker network a real boundary. <c>internal: true</c> only
/// removes the route out; the bridge still delivers to the Docker host itself (every service listening on all
/// addresses: PostgreSQL, Redis, dockerd on TCP…), measured in docs/network.md. So, per tenant bridge:
/// INPUT drop (the host, all its addresses), FORWARD drop in and out of the bridge (any other network, other tenants
/// included), and the IPv6 INPUT drop when ip6tables exists. Inserted first in their chain; idempotent.
/// Run through iptables with an argument list (no shell); the bridge name comes from <see cref="DockerNames.Bridge"/>.
/// </summary>
public sealed class HostFirewall(string iptables = "iptables", string ip6tables = "ip6tables")
{
    /// <summary>One rule; <paramref name="Purpose"/> names it in checks (host_input, forward_out, forward_in, host_input_ipv6).</summary>
    public sealed record Rule(string Purpose, string Binary, string Chain, IReadOnlyList<string> Match)
    {
        public override string ToString() => $"{Binary} -I {Chain} 1 {string.Join(' ', Match.Select(Quote))}";

        private static string Quote(string arg) => arg.Contains(' ') ? $"'{arg}'" : arg;
    }

    public IReadOnlyList<Rule> RulesFor(TenantId tenant)
    {
        var bridge = DockerNames.Bridge(tenant);
        var comment = $"runbook-host tenant={tenant}";
        List<Rule> rules =
        [
            new("host_input", iptables, "INPUT", ["-i", bridge, "-m", "comment", "--comment", comment, "-j", "DROP"]),
            new("forward_out", iptables, "FORWARD", ["-i", bridge, "!", "-o", bridge, "-m", "comment", "--comment", comment, "-j", "DROP"]),
            new("forward_in", iptables, "FORWARD", ["-o", bridge, "!", "-i", bridge, "-m", "comment", "--comment", comment, "-j", "DROP"]),
        ];
        if (Ip6Available)
            rules.Add(new("host_input_ipv6", ip6tables, "INPUT", ["-i", bridge, "-m", "comment", "--comment", comment, "-j", "DROP"]));
        return rules;
    }

    private bool Ip6Available => Resolve(ip6tables) is not null;

    /// <summary>Adds every missing rule at the top of its chain.</summary>
    public async Task EnsureAsync(TenantId tenant, CancellationToken ct)
    {
        foreach (var rule in RulesFor(tenant))
        {
            if (!await ExistsAsync(rule, ct).ConfigureAwait(false))
                await RunAsync(rule.Binary, ["-w", "5", "-I", rule.Chain, "1", .. rule.Match], ct).ConfigureAwait(false);
        }
    }

    /// <summary>Removes every copy of the tenant's rules (absent is fine).</summary>
    public async Task RemoveAsync(TenantId tenant, CancellationToken ct)
    {
        foreach (var rule in RulesFor(tenant))
        {
            for (var i = 0; i < 16 && await ExistsAsync(rule, ct).ConfigureAwait(false); i++)
                await RunAsync(rule.Binary, ["-w", "5", "-D", rule.Chain, .. rule.Match], ct).ConfigureAwait(false);
        }
    }

    /// <summary>Each rule and whether the kernel has it now (iptables -C).</summary>
    public async Task<IReadOnlyList<(Rule Rule, bool Present)>> CheckAsync(TenantId tenant, CancellationToken ct)
    {
        var result = new List<(Rule, bool)>();
        foreach (var rule in RulesFor(tenant))
            result.Add((rule, await ExistsAsync(rule, ct).ConfigureAwait(false)));
        return result;
    }

    private async Task<bool> ExistsAsync(Rule rule, CancellationToken ct)
    {
        var (code, error) = await ExecAsync(rule.Binary, ["-w", "5", "-C", rule.Chain, .. rule.Match], ct).ConfigureAwait(false);
        // 1 = no such rule; anything else (permission denied, no such chain, no iptables) is a failure to say so.
        return code switch
        {
            0 => true,
            1 when !error.Contains("ermission", StringComparison.Ordinal) => false,
            _ => throw new HostFirewallException($"{rule.Binary} -C {rule.Chain} failed (exit {code}): {error.Trim()}"),
        };
    }

    private static async Task RunAsync(string binary, IReadOnlyList<string> args, CancellationToken ct)
    {
        var (code, error) = await ExecAsync(binary, args, ct).ConfigureAwait(false);
        if (code != 0)
            throw new HostFirewallException($"{binary} {args[2]} failed (exit {code}): {error.Trim()} (the host firewall needs root or CAP_NET_ADMIN)");
    }

    private static async Task<(int Code, string Error)> ExecAsync(string binary, IReadOnlyList<string> args, CancellationToken ct)
    {
        var path = Resolve(binary) ?? throw new HostFirewallException($"{binary} not found (apt-get install iptables, or set Network__Docker__HostFirewall=false and manage the rules yourself)");
        var start = new ProcessStartInfo(path) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var arg in args)
            start.ArgumentList.Add(arg);
        using var process = Process.Start(start) ?? throw new HostFirewallException($"could not start {binary}");
        var stderr = process.StandardError.ReadToEndAsync(ct);
        _ = await process.StandardOutput.ReadToEndAsync(ct).ConfigureAwait(false);
        await process.WaitForExitAsync(ct).ConfigureAwait(false);
        return (process.ExitCode, await stderr.ConfigureAwait(false));
    }

    private static string? Resolve(string binary) =>
        Path.IsPathRooted(binary) ? (File.Exists(binary) ? binary : null)
        : new[] { "/usr/sbin", "/sbin", "/usr/bin", "/bin" }.Select(d => Path.Combine(d, binary)).FirstOrDefault(File.Exists);
}

/// <summary>A host firewall command failed; the message names the command and iptables' own error.</summary>
public sealed class HostFirewallException(string message) : Exception(message);
