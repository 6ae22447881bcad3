using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Docker.DotNet.Models;
using RunbookHost.Tenants;

namespace RunbookHost.Network.Docker;

/// <summary>
/// Real packets from the tenant's side: a short-lived probe container on the tenant's network runs busybox probes
/// (TCP connects with nc, an ICMP echo with ping, a UDP datagram with tftp) and prints one line per probe. The script is
/// built only from IP addresses, container names built from validated tenant ids, and integers, each checked again
/// against a strict pattern. The container asks only Docker's embedded DNS (its forwarder points at 127.0.0.1), so a
/// name lookup never leaves the host.
/// </summary>
internal sealed partial class DockerProbe(DockerEngine engine, DockerNetworkSettings settings, int timeoutSeconds)
{
    /// <summary>A TCP connect to <paramref name="Host"/> (an IP address or a container name) on <paramref name="Port"/>.</summary>
    public sealed record Target(string Key, string Host, int Port);

    /// <summary>Key, whether it connected (or got an answer), and what the probe printed.</summary>
    public sealed record Outcome(string Key, bool Open, string Detail);

    public async Task<IReadOnlyDictionary<string, Outcome>> RunAsync(TenantId tenant, IReadOnlyList<Target> targets,
        (string Address, int UdpPort)? gateway, CancellationToken ct)
    {
        var script = Script(targets, gateway);
        var client = await engine.ClientAsync(ct).ConfigureAwait(false);
        var network = DockerNames.Network(tenant);
        var labels = DockerNames.Labels(tenant, DockerNames.Roles.Probe);
        var created = await client.Containers.CreateContainerAsync(new CreateContainerParameters
        {
            Name = $"tenant-{tenant}-probe-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4))}",
            Image = settings.EffectiveProbeImage,
            Cmd = ["sh", "-c", script],
            Labels = labels,
            HostConfig = new HostConfig
            {
                NetworkMode = network,
                DNS = ["127.0.0.1"],
                CapDrop = ["ALL"],
                CapAdd = ["NET_RAW"], // ping
                SecurityOpt = ["no-new-privileges"],
            },
        }, ct).ConfigureAwait(false);
        try
        {
            await client.Containers.StartContainerAsync(created.ID, new ContainerStartParameters(), ct).ConfigureAwait(false);
            using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
            limit.CancelAfter(TimeSpan.FromSeconds(timeoutSeconds * 2 + 20));
            await client.Containers.WaitContainerAsync(created.ID, limit.Token).ConfigureAwait(false);
            using var logs = await client.Containers.GetContainerLogsAsync(created.ID, new ContainerLogsParameters { ShowStdout = true, ShowStderr = true }, ct).ConfigureAwait(false);
            var (stdout, _) = await logs.ReadOutputToEndAsync(ct).ConfigureAwait(false);
            return Parse(stdout);
        }
        finally
        {
            await client.Containers.RemoveContainerAsync(created.ID, new ContainerRemoveParameters { Force = true }, CancellationToken.None).ConfigureAwait(false);
        }
    }

    internal string Script(IReadOnlyList<Target> targets, (string Address, int UdpPort)? gateway)
    {
        var t = timeoutSeconds.ToString(CultureInfo.InvariantCulture);
        var hard = (timeoutSeconds + 2).ToString(CultureInfo.InvariantCulture);
        var script = new StringBuilder();
        // open: connected (0), or connected and still open when the hard timeout killed nc (143); closed: nc failed (1).
        script.Append("t() { out=$(timeout ").Append(hard).Append(" nc -w ").Append(t)
            .Append(" \"$2\" \"$3\" </dev/null 2>&1); rc=$?; echo \"probe $1 $rc $(echo $out | head -c 160)\"; }\n");
        foreach (var target in targets)
            script.Append("t ").Append(Safe(target.Key)).Append(' ').Append(Safe(target.Host)).Append(' ').Append(target.Port.ToString(CultureInfo.InvariantCulture)).Append(" &\n");
        if (gateway is var (address, udpPort))
        {
            var gw = Safe(address);
            script.Append("(ping -c 1 -W ").Append(t).Append(' ').Append(gw).Append(" >/dev/null 2>&1; echo \"probe gateway_icmp $? ping\") &\n");
            script.Append("(timeout ").Append(hard).Append(" tftp -g -r probe -l /dev/null ").Append(gw).Append(' ').Append(udpPort.ToString(CultureInfo.InvariantCulture))
                .Append(" >/dev/null 2>&1; echo \"probe gateway_udp $? tftp\") &\n");
        }
        script.Append("wait\n");
        return script.ToString();
    }

    internal static IReadOnlyDictionary<string, Outcome> Parse(string output)
    {
        var outcomes = new Dictionary<string, Outcome>(StringComparer.Ordinal);
        foreach (Match line in ProbeLine().Matches(output))
        {
            var key = line.Groups["key"].Value;
            var rc = int.Parse(line.Groups["rc"].Value, CultureInfo.InvariantCulture);
            var text = line.Groups["detail"].Value.Trim();
            outcomes[key] = new Outcome(key, rc is 0 or 143, $"exit {rc}{(text.Length > 0 ? ": " + text : "")}");
        }
        return outcomes;
    }

    private static string Safe(string value) =>
        SafeToken().IsMatch(value) ? value : throw new ArgumentException($"refusing to put '{value}' in a probe script");

    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$")]
    private static partial Regex SafeToken();

    [GeneratedRegex(@"^probe (?<key>[A-Za-z0-9._:-]+) (?<rc>[0-9]{1,3})(?<detail>[^\n]*)$", RegexOptions.Multiline)]
    private static partial Regex ProbeLine();
}
