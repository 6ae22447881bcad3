using RunbookHost.Tenants;

namespace RunbookHost.Nats;

/// <summary>
/// The NATS user names this host writes: certificate SAN DNS names (verify_and_map selects the user by them).
/// A tenant identity is <c>&lt;component&gt;.&lt;partition&gt;.&lt;tenant&gt;.serviceradar</c>; the platform admin has
/// two labels (<c>platform-admin.serviceradar</c>) so it never parses as a tenant identity. Checked here without
/// lib/Pki so the configuration writer refuses a name in the wrong account on its own.
/// </summary>
public static class NatsIdentityName
{
    public const string Domain = "serviceradar";
    public const string PlatformAdmin = "platform-admin." + Domain;
    private const int MaxLabel = 63;
    private const int MaxName = 253;

    /// <summary>Whether <paramref name="name"/> is a component identity of <paramref name="tenant"/>; the reason when not.</summary>
    public static bool IsTenantIdentity(string name, TenantId tenant, out string reason)
    {
        if (!IsDnsName(name, out reason))
            return false;
        var labels = name.Split('.');
        if (labels.Length != 4 || labels[3] != Domain)
            reason = $"a tenant identity has four labels <component>.<partition>.<tenant>.{Domain}";
        else if (labels[2] != tenant.Value)
            reason = $"the identity names another tenant than {tenant.Value}";
        return reason.Length == 0;
    }

    /// <summary>Whether <paramref name="name"/> is a platform identity: two labels under the domain.</summary>
    public static bool IsPlatformIdentity(string name, out string reason)
    {
        if (!IsDnsName(name, out reason))
            return false;
        var labels = name.Split('.');
        if (labels.Length != 2 || labels[1] != Domain)
            reason = $"a platform identity has two labels <role>.{Domain}";
        return reason.Length == 0;
    }

    /// <summary>Lowercase LDH labels of 1–63 characters, not starting or ending with a hyphen; at most 253 characters.</summary>
    public static bool IsDnsName(string name, out string reason)
    {
        reason = "";
        if (string.IsNullOrEmpty(name) || name.Length > MaxName)
            reason = $"a DNS name has 1-{MaxName} characters";
        else
        {
            foreach (var label in name.Split('.'))
            {
                if (label.Length is 0 or > MaxLabel)
                    reason = $"each DNS label has 1-{MaxLabel} characters";
                else if (label.Any(c => c is not ((>= 'a' and <= 'z') or (>= '0' and <= '9') or '-')))
                    reason = "a DNS label has only a-z, 0-9 and hyphen";
                else if (label[0] == '-' || label[^1] == '-')
                    reason = "a DNS label does not start or end with a hyphen";
                if (reason.Length > 0)
                    break;
            }
        }
        return reason.Length == 0;
    }
}
