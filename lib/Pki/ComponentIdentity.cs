using System.Diagnostics.CodeAnalysis;
using RunbookHost.Tenants;

namespace RunbookHost.Pki;

/// <summary>
/// The identity a component certificate carries in its CN and SAN: <c>&lt;component&gt;.&lt;partition&gt;.&lt;tenant&gt;.serviceradar</c>
/// (process isolation spec, tasks 1.4, 4.1, 5.2, 6.1-6.3). The parser is strict on purpose: it accepts exactly one
/// spelling of each identity (lowercase ASCII letters, digits and inner hyphens; no IDN/punycode; no trailing dot), so
/// two different strings never name the same component, and a name that would need normalising is refused rather
/// than guessed at. Refusals never repeat the input, which may be hostile (control characters, look-alikes).
/// </summary>
public sealed record ComponentIdentity
{
    /// <summary>The platform's DNS suffix: every component and platform identity ends in it.</summary>
    public const string Suffix = "serviceradar";

    /// <summary>The one identity that may cross tenants (task 6.5): two labels, so it never parses as a component.</summary>
    public const string PlatformAdmin = "platform-admin." + Suffix;

    /// <summary>A DNS label's limit (RFC 1035).</summary>
    public const int MaxLabelLength = 63;

    /// <summary>A DNS name's limit in its text form (RFC 1035: 255 octets on the wire).</summary>
    public const int MaxNameLength = 253;

    private ComponentIdentity(string component, string partition, TenantId tenant)
    {
        Component = component;
        Partition = partition;
        Tenant = tenant;
        DnsName = $"{component}.{partition}.{tenant.Value}.{Suffix}";
    }

    /// <summary>What the process is, e.g. <c>agent</c>, <c>poller</c>.</summary>
    public string Component { get; }

    /// <summary>The tenant's partition the process runs in, e.g. <c>default</c>.</summary>
    public string Partition { get; }

    public TenantId Tenant { get; }

    /// <summary>The full name: the certificate's CN and its SAN DNS name.</summary>
    public string DnsName { get; }

    /// <summary>The DNS name suffix every identity of <paramref name="tenant"/> ends in (its CA's name constraint): <c>.acme.serviceradar</c>.</summary>
    public static string TenantSuffix(TenantId tenant) => $".{(tenant ?? throw new ArgumentNullException(nameof(tenant))).Value}.{Suffix}";

    /// <summary>Builds an identity from its parts, each validated as the parser would.</summary>
    public static ComponentIdentity Create(string component, string partition, TenantId tenant)
    {
        ArgumentNullException.ThrowIfNull(tenant);
        var refusal = CheckLabel(component, "component") ?? CheckLabel(partition, "partition");
        if (refusal is not null)
            throw new InvalidComponentIdentityException(refusal);
        return new ComponentIdentity(component, partition, tenant);
    }

    public static ComponentIdentity Parse(string? name) =>
        TryParse(name, out var identity, out var refusal) ? identity : throw new InvalidComponentIdentityException(refusal);

    /// <summary>True and the identity, or false and a precise refusal that never quotes <paramref name="name"/>.</summary>
    public static bool TryParse(string? name, [NotNullWhen(true)] out ComponentIdentity? id, out string refusal)
    {
        id = null;
        refusal = Check(name, out var labels) ?? "";
        if (refusal.Length > 0)
            return false;
        id = new ComponentIdentity(labels[0], labels[1], TenantId.Parse(labels[2]));
        return true;
    }

    private static string? Check(string? name, out string[] labels)
    {
        const string form = "expected <component>.<partition>.<tenant>." + Suffix;
        labels = [];
        if (string.IsNullOrEmpty(name))
            return $"the identity is empty: {form}";
        if (name.Length > MaxNameLength)
            return $"the identity has {name.Length} characters, more than a DNS name's {MaxNameLength}";
        foreach (var c in name)
        {
            if (c > '\x7e' || c < '\x21')
                return c > '\x7e'
                    ? "the identity contains a non-ASCII character: internationalised names are not accepted, in any form"
                    : "the identity contains a space or a control character";
        }
        if (name.Any(char.IsAsciiLetterUpper))
            return "the identity contains an uppercase letter: identities are lowercase, and are compared exactly";
        if (name.EndsWith('.'))
            return "the identity ends with a dot: write it without the root label";
        labels = name.Split('.');
        if (labels.Length != 4)
            return $"the identity has {labels.Length} labels, not 4: {form}";
        if (labels[3] != Suffix)
            return $"the identity does not end in .{Suffix}: {form}";
        var refusal = CheckLabel(labels[0], "component") ?? CheckLabel(labels[1], "partition");
        if (refusal is not null)
            return refusal;
        if (!TenantId.TryParse(labels[2], out _, out var tenantRefusal))
            return $"the identity's tenant label is not a tenant id ({tenantRefusal})";
        return null;
    }

    /// <summary>An LDH label (RFC 952/1123): a-z, 0-9 and inner hyphens, 1-63 characters, never an IDN (A-label) or other reserved <c>??--</c> form.</summary>
    private static string? CheckLabel(string? label, string what)
    {
        if (string.IsNullOrEmpty(label))
            return $"the {what} label is empty";
        if (label.Length > MaxLabelLength)
            return $"the {what} label has {label.Length} characters, more than a DNS label's {MaxLabelLength}";
        foreach (var c in label)
        {
            if (c is not ((>= 'a' and <= 'z') or (>= '0' and <= '9') or '-'))
                return $"the {what} label contains a character outside a-z, 0-9 and '-'";
        }
        if (label[0] == '-' || label[^1] == '-')
            return $"the {what} label starts or ends with '-'";
        if (label.Length >= 4 && label[2] == '-' && label[3] == '-')
            return label.StartsWith("xn--", StringComparison.Ordinal)
                ? $"the {what} label is punycode (an internationalised name): not accepted"
                : $"the {what} label has '--' in the third and fourth position, which DNS reserves for encodings such as punycode";
        return null;
    }

    public override string ToString() => DnsName;
}

/// <summary>A name that is not a component identity; the message never repeats the rejected input.</summary>
public sealed class InvalidComponentIdentityException(string message) : ArgumentException(message);
