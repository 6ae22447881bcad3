using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;

namespace RunbookHost.Network;

/// <summary>
/// The address pool tenants' private networks are allocated from, written as a CIDR template (Network:Pool).
/// <list type="bullet">
/// <item><c>10.{octet}.0.0/16</c> (the default, the spec's scheme): one placeholder, values 1..254, so 254 tenants and
/// the slot of a tenant is its tenant_octet. <c>{octet}</c> may stand in any octet, e.g. <c>172.20.{octet}.0/24</c>.</item>
/// <item><c>10.{a}.{b}.0/24</c>: two placeholders, 0..255 each, slot = a*256 + b: 65,536 tenants.</item>
/// </list>
/// Every slot must render to a canonical network of the same size inside the private ranges of RFC 1918, so no two
/// tenants' networks overlap and none covers a public address. Validated once, at configuration time.
/// </summary>
public sealed partial class NetworkPool
{
    public const string DefaultTemplate = "10.{octet}.0.0/16";
    private const string Octet = "{octet}";
    private const string A = "{a}";
    private const string B = "{b}";

    private static readonly IPNetwork[] Rfc1918 = [IPNetwork.Parse("10.0.0.0/8"), IPNetwork.Parse("172.16.0.0/12"), IPNetwork.Parse("192.168.0.0/16")];

    private NetworkPool(string template, bool octetSlots)
    {
        Template = template;
        IsOctetPool = octetSlots;
        FirstSlot = octetSlots ? 1 : 0;
        LastSlot = octetSlots ? 254 : 65_535;
        PrefixLength = IPNetwork.Parse(Render(FirstSlot)).PrefixLength;
    }

    /// <summary>The template as configured; also the pool's name in the registry (tenant_networks.pool).</summary>
    public string Template { get; }

    /// <summary>True for a <c>{octet}</c> pool: slots are 1..254 and equal the tenant's tenant_octet.</summary>
    public bool IsOctetPool { get; }

    public int FirstSlot { get; }

    public int LastSlot { get; }

    public int Capacity => LastSlot - FirstSlot + 1;

    public int PrefixLength { get; }

    public static NetworkPool Default { get; } = Create(DefaultTemplate);

    /// <summary>Validates <paramref name="template"/>; throws <see cref="ArgumentException"/> naming what is wrong.</summary>
    public static NetworkPool Create(string? template)
    {
        var t = string.IsNullOrWhiteSpace(template) ? DefaultTemplate : template.Trim();
        if (!TemplateShape().IsMatch(t))
            throw new ArgumentException($"network pool '{Printable(t)}' must be an IPv4 CIDR template such as {DefaultTemplate} or 10.{{a}}.{{b}}.0/24");
        var octets = Count(t, Octet);
        var pool = (octets, Count(t, A), Count(t, B)) switch
        {
            (1, 0, 0) => new NetworkPool(t, octetSlots: true),
            (0, 1, 1) when t.IndexOf(A, StringComparison.Ordinal) < t.IndexOf(B, StringComparison.Ordinal) => new NetworkPool(t, octetSlots: false),
            _ => throw new ArgumentException($"network pool '{Printable(t)}' must contain either {Octet} once (254 tenants) or {A} then {B} once each (65,536 tenants)"),
        };
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var slot = pool.FirstSlot; slot <= pool.LastSlot; slot++)
        {
            var cidr = pool.Render(slot);
            if (!IPNetwork.TryParse(cidr, out var network) || network.ToString() != cidr)
                throw new ArgumentException($"network pool '{Printable(t)}' gives '{cidr}' for slot {slot}, which is not a network address in CIDR form (host bits set?)");
            if (network.PrefixLength != pool.PrefixLength || !seen.Add(cidr))
                throw new ArgumentException($"network pool '{Printable(t)}' gives two slots the same or overlapping networks");
            if (!Rfc1918.Any(r => r.Contains(network.BaseAddress) && r.PrefixLength <= network.PrefixLength))
                throw new ArgumentException($"network pool '{Printable(t)}' gives {cidr}, outside the private ranges 10.0.0.0/8, 172.16.0.0/12 and 192.168.0.0/16");
        }
        return pool;
    }

    /// <summary>The network of <paramref name="slot"/>, e.g. 10.7.0.0/16.</summary>
    public IPNetwork NetworkFor(int slot)
    {
        if (slot < FirstSlot || slot > LastSlot)
            throw new ArgumentOutOfRangeException(nameof(slot), slot, $"slot must be {FirstSlot}..{LastSlot} in pool {Template}");
        return IPNetwork.Parse(Render(slot));
    }

    /// <summary>The slot whose network is <paramref name="network"/>, or null when it is not one of this pool's.</summary>
    public int? SlotOf(IPNetwork network)
    {
        if (network.PrefixLength != PrefixLength || network.BaseAddress.AddressFamily != System.Net.Sockets.AddressFamily.InterNetwork)
            return null;
        for (var slot = FirstSlot; slot <= LastSlot; slot++)
        {
            if (Render(slot) == network.ToString())
                return slot;
        }
        return null;
    }

    public override string ToString() => $"{Template} ({Capacity:N0} networks of /{PrefixLength})";

    private string Render(int slot) => IsOctetPool
        ? Template.Replace(Octet, slot.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal)
        : Template.Replace(A, (slot / 256).ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal)
            .Replace(B, (slot % 256).ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal);

    private static int Count(string text, string placeholder) => Regex.Matches(text, Regex.Escape(placeholder)).Count;

    private static string Printable(string value) => Regex.Replace(value, @"[^\x20-\x7e]", "?");

    [GeneratedRegex(@"^(?:(?:[0-9]{1,3}|\{octet\}|\{a\}|\{b\})\.){3}(?:[0-9]{1,3}|\{octet\}|\{a\}|\{b\})/[0-9]{1,2}$")]
    private static partial Regex TemplateShape();
}
