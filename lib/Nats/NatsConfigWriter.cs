using System.Globalization;
using System.Text;

namespace RunbookHost.Nats;

/// <summary>
/// Renders nats-server's configuration (syntax checked against nats-server 2.9.10's server/opts.go): TLS with
/// client certificates mapped to users (<c>verify_and_map</c>), one account per tenant with permissions limited to
/// its subjects and inboxes and its own JetStream limits, and the platform account that may cross tenants.
/// Deterministic: the same input gives the same bytes (tenants and users sorted), so an unchanged fleet never
/// reloads the server. Every value is validated and quoted by <see cref="NatsConfigValue"/>; numbers are written
/// from integers; nothing is concatenated from unvalidated input.
/// </summary>
public static class NatsConfigWriter
{
    public const string Header = "# Written by runbook-host (lib/Nats/NatsConfigWriter.cs). Do not edit: the next change overwrites it.";

    public static string Render(NatsServerConfiguration configuration)
    {
        Validate(configuration);
        var server = configuration.Server;
        var text = new StringBuilder();
        text.AppendLine(Header);
        text.AppendLine($"listen: {NatsConfigValue.Quote(HostPort(server.ListenAddress.ToString(), server.Port))}");
        // Monitoring carries account names and connection details: loopback only, whatever the listen address.
        text.AppendLine($"http: {NatsConfigValue.Quote(HostPort("127.0.0.1", server.MonitorPort))}");
        text.AppendLine($"pid_file: {NatsConfigValue.QuotePath(server.PidFile, "the pid file")}");
        text.AppendLine("tls {");
        text.AppendLine($"  cert_file: {NatsConfigValue.QuotePath(server.CertFile, "the server certificate")}");
        text.AppendLine($"  key_file: {NatsConfigValue.QuotePath(server.KeyFile, "the server key")}");
        text.AppendLine($"  ca_file: {NatsConfigValue.QuotePath(server.ClientCaFile, "the client-CA bundle")}");
        // verify_and_map implies verify: a client without a certificate from the bundle is refused at TLS, and the
        // certificate's SAN DNS name selects the user; a name that is no user is refused.
        text.AppendLine("  verify_and_map: true");
        text.AppendLine("  timeout: 2");
        text.AppendLine("}");
        text.AppendLine("jetstream {");
        text.AppendLine($"  store_dir: {NatsConfigValue.QuotePath(server.JetStreamStoreDir, "the JetStream store folder")}");
        text.AppendLine($"  max_memory_store: {Integer(server.JetStreamMaxMemoryBytes)}");
        text.AppendLine($"  max_file_store: {Integer(server.JetStreamMaxStoreBytes)}");
        text.AppendLine("}");
        var tenants = configuration.Tenants.OrderBy(t => t.Tenant.Value, StringComparer.Ordinal).ToList();
        text.AppendLine("accounts {");
        WritePlatform(text, configuration.Platform, tenants);
        foreach (var tenant in tenants)
            WriteTenant(text, tenant);
        text.AppendLine("}");
        return text.ToString();
    }

    private static void WritePlatform(StringBuilder text, NatsPlatformAccount platform, IReadOnlyList<NatsTenantAccount> tenants)
    {
        text.AppendLine($"  {NatsConfigValue.Quote(NatsPlatformAccount.AccountName)}: {{");
        text.AppendLine("    users: [");
        foreach (var user in platform.AdminUsers.Order(StringComparer.Ordinal))
            text.AppendLine($"      {{ user: {NatsConfigValue.Quote(user)} }}");
        text.AppendLine("    ]");
        text.AppendLine("    imports: [");
        foreach (var tenant in tenants)
        {
            var bus = tenant.Bus;
            var account = NatsConfigValue.Quote(bus.AccountName);
            // Observe: every message of the tenant, read-only (a stream import cannot publish back).
            text.AppendLine($"      {{ stream: {{ account: {account}, subject: {NatsConfigValue.Quote(bus.Subjects)} }} }}");
            // Administer: the tenant account's JetStream API, renamed so each tenant's API has its own prefix.
            text.AppendLine($"      {{ service: {{ account: {account}, subject: {NatsConfigValue.Quote("$JS.API.>")} }}, to: {NatsConfigValue.Quote(bus.PlatformJetStreamApiPrefix + ".>")} }}");
        }
        text.AppendLine("    ]");
        text.AppendLine("  }");
    }

    private static void WriteTenant(StringBuilder text, NatsTenantAccount tenant)
    {
        var bus = tenant.Bus;
        var limits = tenant.Limits;
        text.AppendLine($"  {NatsConfigValue.Quote(bus.AccountName)}: {{");
        text.AppendLine($"    jetstream: {{ max_memory: {Integer(limits.MaxMemoryBytes)}, max_store: {Integer(limits.MaxStoreBytes)}, max_streams: {Integer(limits.MaxStreams)}, max_consumers: {Integer(limits.MaxConsumers)} }}");
        text.AppendLine("    users: [");
        var publish = Quoted(TenantPublishSubjects(bus));
        var subscribe = Quoted([bus.Subjects, bus.Inboxes]);
        foreach (var user in tenant.Users.Order(StringComparer.Ordinal))
        {
            // allow_responses: a tenant service may answer a request whose reply subject it could not publish to
            // otherwise (the platform's requests arrive with a reply subject of the platform account), once, briefly.
            text.AppendLine($"      {{ user: {NatsConfigValue.Quote(user)}, permissions: {{ publish: {{ allow: {publish} }}, subscribe: {{ allow: {subscribe} }}, allow_responses: true }} }}");
        }
        text.AppendLine("    ]");
        var platform = $"[{NatsConfigValue.Quote(NatsPlatformAccount.AccountName)}]";
        text.AppendLine("    exports: [");
        text.AppendLine($"      {{ stream: {NatsConfigValue.Quote(bus.Subjects)}, accounts: {platform} }}");
        text.AppendLine($"      {{ service: {NatsConfigValue.Quote("$JS.API.>")}, accounts: {platform} }}");
        text.AppendLine("    ]");
        text.AppendLine("  }");
    }

    /// <summary>
    /// What a tenant identity may publish: its subjects, its inboxes, and the JetStream API calls that read its own
    /// stream (info, names, direct get, consumers, acks). Not stream create/update/delete: the platform owns the stream.
    /// The account boundary already hides other accounts' streams; the list keeps a tenant from reshaping its own.
    /// </summary>
    public static IReadOnlyList<string> TenantPublishSubjects(TenantBus bus)
    {
        var stream = bus.StreamName;
        return
        [
            bus.Subjects,
            bus.Inboxes,
            "$JS.API.INFO",
            "$JS.API.STREAM.NAMES",
            "$JS.API.STREAM.LIST",
            $"$JS.API.STREAM.INFO.{stream}",
            $"$JS.API.STREAM.MSG.GET.{stream}",
            $"$JS.API.CONSUMER.CREATE.{stream}",
            $"$JS.API.CONSUMER.CREATE.{stream}.>",
            $"$JS.API.CONSUMER.DURABLE.CREATE.{stream}.>",
            $"$JS.API.CONSUMER.INFO.{stream}.>",
            $"$JS.API.CONSUMER.NAMES.{stream}",
            $"$JS.API.CONSUMER.LIST.{stream}",
            $"$JS.API.CONSUMER.DELETE.{stream}.>",
            $"$JS.API.CONSUMER.MSG.NEXT.{stream}.>",
            $"$JS.ACK.{stream}.>",
        ];
    }

    private static void Validate(NatsServerConfiguration configuration)
    {
        var server = configuration.Server;
        if (server.Port is < 1 or > 65535 || server.MonitorPort is < 1 or > 65535)
            throw new ArgumentException("the server and monitoring ports must be 1-65535");
        if (server.Port == server.MonitorPort && (server.ListenAddress.Equals(System.Net.IPAddress.Loopback) || server.ListenAddress.Equals(System.Net.IPAddress.Any)))
            throw new ArgumentException("the server and monitoring ports must differ");
        if (server.JetStreamMaxMemoryBytes < 1 || server.JetStreamMaxStoreBytes < 1)
            throw new ArgumentException("the server's JetStream limits must be positive");
        var users = new HashSet<string>(StringComparer.Ordinal);
        if (configuration.Platform.AdminUsers.Count == 0)
            throw new ArgumentException("the platform account needs at least one admin identity");
        foreach (var admin in configuration.Platform.AdminUsers)
        {
            if (!NatsIdentityName.IsPlatformIdentity(admin, out var reason))
                throw new ArgumentException($"a platform admin user is refused: {reason}");
            if (!users.Add(admin))
                throw new ArgumentException("a platform admin user is listed twice");
        }
        var tenants = new HashSet<string>(StringComparer.Ordinal);
        foreach (var tenant in configuration.Tenants)
        {
            if (!tenants.Add(tenant.Tenant.Value))
                throw new ArgumentException($"tenant {tenant.Tenant.Value} is listed twice");
            var limits = tenant.Limits;
            if (limits.MaxMemoryBytes < 1 || limits.MaxStoreBytes < 1 || limits.MaxStreams < 1 || limits.MaxConsumers < 1)
                throw new ArgumentException($"tenant {tenant.Tenant.Value}: JetStream limits must be positive (a limit of 0 or -1 would mean none)");
            if (limits.MaxMemoryBytes > server.JetStreamMaxMemoryBytes || limits.MaxStoreBytes > server.JetStreamMaxStoreBytes)
                throw new ArgumentException($"tenant {tenant.Tenant.Value}: JetStream limits exceed the server's");
            foreach (var user in tenant.Users)
            {
                if (!NatsIdentityName.IsTenantIdentity(user, tenant.Tenant, out var reason))
                    throw new ArgumentException($"tenant {tenant.Tenant.Value}: a user is refused: {reason}");
                // nats-server refuses a user in two accounts; refusing here names the tenant.
                if (!users.Add(user))
                    throw new ArgumentException($"tenant {tenant.Tenant.Value}: a user is listed twice");
            }
        }
    }

    private static string Quoted(IEnumerable<string> values) => "[" + string.Join(", ", values.Select(NatsConfigValue.Quote)) + "]";

    private static string Integer(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static string HostPort(string host, int port) => host.Contains(':')
        ? $"[{host}]:{port.ToString(CultureInfo.InvariantCulture)}"
        : $"{host}:{port.ToString(CultureInfo.InvariantCulture)}";
}
