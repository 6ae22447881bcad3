using System.Net;
using CliWrap;
using CliWrap.Buffered;
using RunbookHost.Tenants;

namespace RunbookHost.Tests.Network.Docker;

/// <summary>
/// The real Docker engine the docker provider's tests use (scripts/local-services.sh starts it and builds the image),
/// seen from outside the product through the docker CLI. Subnets: each test class takes a /16 of 10.200-250.x.x
/// that no other test process on this machine holds (an exclusive lock file) and no Docker network or host route uses.
/// </summary>
public static class DockerTestHost
{
    public const string Image = "local/runbook-host-busybox:1";
    private static readonly string LockFolder = Path.Combine(Path.GetTempPath(), "runbook-host-test-subnets");

    public static async Task<BufferedCommandResult> Docker(params string[] args) =>
        await CliWrap.Cli.Wrap("docker").WithArguments(args).WithValidation(CommandResultValidation.None).ExecuteBufferedAsync();

    public static async Task<string> DockerOk(params string[] args)
    {
        var result = await Docker(args);
        Assert.True(result.ExitCode == 0, $"docker {string.Join(' ', args)}: {result.StandardError}");
        return result.StandardOutput.Trim();
    }

    /// <summary>A second octet X whose 10.X.0.0/16 is this test's alone until the returned lock is disposed.</summary>
    public static async Task<(int Octet, FileStream Lock)> ReserveSubnetAsync()
    {
        Directory.CreateDirectory(LockFolder);
        var used = (await DockerOk("network", "ls", "-q")).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var subnets = used.Length == 0 ? "" : await DockerOk(["network", "inspect", "-f", "{{range .IPAM.Config}}{{.Subnet}} {{end}}", .. used]);
        var routes = File.Exists("/proc/net/route") ? await File.ReadAllTextAsync("/proc/net/route") : "";
        foreach (var octet in Enumerable.Range(200, 51).OrderBy(_ => Random.Shared.Next()))
        {
            if (subnets.Contains($"10.{octet}.", StringComparison.Ordinal) || routes.Contains(HexRoutePrefix(octet), StringComparison.Ordinal))
                continue;
            try
            {
                // .NET takes an exclusive advisory lock (flock) for FileShare.None: other test processes skip this octet.
                return (octet, new FileStream(Path.Combine(LockFolder, $"10.{octet}.lock"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None));
            }
            catch (IOException)
            {
            }
        }
        throw new InvalidOperationException("no free 10.x.0.0/16 for a docker test");
    }

    /// <summary>Removes everything labelled with the tenant (containers, network, volume): the test's own cleanup.</summary>
    public static async Task RemoveEverythingOf(TenantId tenant)
    {
        var selector = $"label=runbook-host.tenant={tenant}";
        foreach (var id in (await Docker("ps", "-aq", "--filter", selector)).StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            await Docker("rm", "-f", id);
        foreach (var id in (await Docker("network", "ls", "-q", "--filter", selector)).StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            await Docker("network", "rm", id);
        foreach (var name in (await Docker("volume", "ls", "-q", "--filter", selector)).StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            await Docker("volume", "rm", "-f", name);
        await new RunbookHost.Network.Docker.HostFirewall().RemoveAsync(tenant, CancellationToken.None);
    }

    /// <summary>What `docker ps/network ls/volume ls --filter label=runbook-host.tenant=ID` shows, one name per line.</summary>
    public static async Task<string> LabelledObjects(TenantId tenant)
    {
        var selector = $"label=runbook-host.tenant={tenant}";
        var containers = await DockerOk("ps", "-a", "--filter", selector, "--format", "{{.Names}}");
        var networks = await DockerOk("network", "ls", "--filter", selector, "--format", "{{.Name}}");
        var volumes = await DockerOk("volume", "ls", "--filter", selector, "--format", "{{.Name}}");
        return string.Join("\n", new[] { containers, networks, volumes }.Where(s => s.Length > 0));
    }

    public static async Task<string> IptablesRules() =>
        (await CliWrap.Cli.Wrap("iptables").WithArguments(["-S"]).WithValidation(CommandResultValidation.None).ExecuteBufferedAsync()).StandardOutput;

    private static string HexRoutePrefix(int octet) => $"{octet:X2}0A\t";

    public static IPAddress ContainerIp(string inspectOutput) => IPAddress.Parse(inspectOutput.Trim());
}
