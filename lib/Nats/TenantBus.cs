using RunbookHost.Tenants;

namespace RunbookHost.Nats;

/// <summary>
/// A tenant's names on the message bus, all derived from the validated tenant id (a-z0-9, so valid as a subject
/// token, account name and stream name): subjects under <c>acme.</c>, inboxes under <c>_INBOX_acme.</c>, account
/// <c>acme</c>, JetStream stream <c>acme</c> holding <c>acme.&gt;</c>, and the tenant's JetStream API as the
/// platform account sees it, <c>$JS.acme.API</c>.
/// </summary>
public sealed record TenantBus(TenantId Tenant)
{
    /// <summary>The subject prefix, with its trailing dot (onboarding's nats.json carries it).</summary>
    public string SubjectPrefix => Tenant.Value + ".";

    /// <summary>Every subject of the tenant.</summary>
    public string Subjects => Tenant.Value + ".>";

    /// <summary>The inbox prefix a tenant client sets (NATS.Net <c>NatsOpts.InboxPrefix</c>).</summary>
    public string InboxPrefix => "_INBOX_" + Tenant.Value;

    public string Inboxes => InboxPrefix + ".>";

    public string AccountName => Tenant.Value;

    public string StreamName => Tenant.Value;

    /// <summary>The tenant account's JetStream API imported into the platform account (NATS.Net <c>NatsJSOpts</c> apiPrefix).</summary>
    public string PlatformJetStreamApiPrefix => "$JS." + Tenant.Value + ".API";
}
