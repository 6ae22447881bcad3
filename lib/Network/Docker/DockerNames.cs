using System.Security.Cryptography;
using System.Text;
using RunbookHost.Tenants;

namespace RunbookHost.Network.Docker;

/// <summary>
/// Names and labels of a tenant's Docker objects, built only from a validated <see cref="TenantId"/> and validated
/// workload names. Every object carries <see cref="TenantLabel"/>, so what belongs to a tenant is found by label.
/// </summary>
public static class DockerNames
{
    public const string TenantLabel = "runbook-host.tenant";
    public const string RoleLabel = "runbook-host.role";
    public const string BridgeOption = "com.docker.network.bridge.name";

    public static string Network(TenantId tenant) => $"tenant-{tenant}";

    public static string Volume(TenantId tenant) => $"tenant-{tenant}-data";

    public static string Container(TenantId tenant, string workload) => $"tenant-{tenant}-{workload}";

    /// <summary>The mount path of the tenant's volume, the same convention as on Hetzner: /mnt/tenant-&lt;id&gt;.</summary>
    public static string MountPath(TenantId tenant) => $"/mnt/tenant-{tenant}";

    /// <summary>
    /// The Linux bridge of the tenant's network, named so the host firewall rule can be written (and shown in a dry run)
    /// before the network exists: "rbh-" + 11 hex digits of SHA-256(tenant id), 15 characters (the kernel's limit).
    /// </summary>
    public static string Bridge(TenantId tenant) =>
        "rbh-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.ASCII.GetBytes(tenant.Value)))[..11];

    public static Dictionary<string, string> Labels(TenantId tenant, string role) => new(StringComparer.Ordinal)
    {
        [TenantLabel] = tenant.Value,
        [RoleLabel] = role,
    };

    /// <summary>The label filter that finds everything of the tenant: <c>runbook-host.tenant=&lt;id&gt;</c>.</summary>
    public static string Selector(TenantId tenant) => $"{TenantLabel}={tenant}";

    public static class Roles
    {
        public const string Network = "network";
        public const string Volume = "volume";
        public const string Workload = "workload";
        public const string Probe = "probe";
    }
}
