using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using RunbookHost.Tenants;

namespace RunbookHost.Stores.Postgres;

/// <summary>
/// How a tenant's pg_hba.conf line is built (spec §3.2): <c>host tenant_&lt;id&gt; tenant_&lt;id&gt;_user &lt;cidr&gt; &lt;method&gt;</c>.
/// The CIDR template and the method are validated once, here; the line is then built only from a
/// validated <see cref="TenantId"/> and an integer octet 1..254, and checked again against a strict shape.
/// </summary>
public sealed partial class PgHbaPolicy
{
    public const string DefaultCidrTemplate = "10.{octet}.0.0/16";
    public const string DefaultMethod = "scram-sha-256";
    public const string OctetPlaceholder = "{octet}";

    /// <summary>Methods a tenant line may use. trust, password (cleartext), ident, peer, reject… are refused.</summary>
    public static readonly IReadOnlyList<string> AllowedMethods = ["scram-sha-256", "md5", "cert"];

    private readonly string _template;

    private PgHbaPolicy(string template, string method)
    {
        _template = template;
        Method = method;
    }

    public string CidrTemplate => _template;

    public string Method { get; }

    /// <summary>Validates <paramref name="cidrTemplate"/> (must contain <c>{octet}</c> once and give a canonical network CIDR for every octet 1..254) and <paramref name="method"/>.</summary>
    /// <exception cref="ArgumentException">with a message naming the setting.</exception>
    public static PgHbaPolicy Create(string? cidrTemplate, string? method)
    {
        var template = string.IsNullOrEmpty(cidrTemplate) ? DefaultCidrTemplate : cidrTemplate;
        var m = string.IsNullOrEmpty(method) ? DefaultMethod : method;
        if (!AllowedMethods.Contains(m, StringComparer.Ordinal))
            throw new ArgumentException($"pg_hba method '{Printable(m)}' is not allowed: use one of {string.Join(", ", AllowedMethods)} (trust and password are refused)", nameof(method));
        var first = template.IndexOf(OctetPlaceholder, StringComparison.Ordinal);
        if (first < 0 || template.IndexOf(OctetPlaceholder, first + 1, StringComparison.Ordinal) >= 0)
            throw new ArgumentException($"pg_hba CIDR template '{Printable(template)}' must contain {OctetPlaceholder} exactly once (every tenant needs its own network)", nameof(cidrTemplate));
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var octet = 1; octet <= 254; octet++)
        {
            var cidr = Render(template, octet);
            if (!IsCanonicalNetwork(cidr))
                throw new ArgumentException($"pg_hba CIDR template '{Printable(template)}' gives '{Printable(cidr)}' for octet {octet}, which is not a network address in CIDR form (e.g. 10.{octet}.0.0/16)", nameof(cidrTemplate));
            if (!seen.Add(cidr))
                throw new ArgumentException($"pg_hba CIDR template '{Printable(template)}' gives the same network for two octets", nameof(cidrTemplate));
        }
        return new PgHbaPolicy(template, m);
    }

    /// <summary>Test seam: a policy that skips validation, to show that <see cref="LineFor(TenantId, IPNetwork)"/> still refuses to build a bad line.</summary>
    internal static PgHbaPolicy Unchecked(string template, string method) => new(template, method);

    /// <summary>The tenant's network, e.g. 10.7.0.0/16.</summary>
    public string CidrFor(int octet)
    {
        if (octet is < 1 or > 254)
            throw new ArgumentOutOfRangeException(nameof(octet), octet, "tenant octet must be 1..254");
        return Render(_template, octet);
    }

    /// <summary>The tenant's line, e.g. <c>host tenant_acme tenant_acme_user 10.7.0.0/16 scram-sha-256</c>.</summary>
    public string LineFor(TenantId tenant, int octet) => Line(tenant, CidrFor(octet));

    /// <summary>
    /// The tenant's line for the range the network allocator gave it (lib/Network: Network:Pool, registry tenant_networks),
    /// so pg_hba and the tenant's private network are one range whatever the pool.
    /// </summary>
    public string LineFor(TenantId tenant, IPNetwork network) => Line(tenant, network.ToString());

    private string Line(TenantId tenant, string cidr)
    {
        ArgumentNullException.ThrowIfNull(tenant);
        var line = $"host {TenantStoreNames.PostgresDatabase(tenant)} {TenantStoreNames.PostgresRole(tenant)} {cidr} {Method}";
        PgHbaText.EnsureManagedLine(line, tenant);
        return line;
    }

    /// <summary>The line with <c>&lt;tenant_octet&gt;</c> in place of the octet, for a dry run before the octet is allocated.</summary>
    public string DescribeLine(TenantId tenant) =>
        $"host {TenantStoreNames.PostgresDatabase(tenant)} {TenantStoreNames.PostgresRole(tenant)} {_template.Replace(OctetPlaceholder, "<tenant_octet>", StringComparison.Ordinal)} {Method}";

    private static string Render(string template, int octet) =>
        template.Replace(OctetPlaceholder, octet.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal);

    /// <summary>Parses as a network with no host bits set, and prints back identically (so no spaces, no odd spellings).</summary>
    internal static bool IsCanonicalNetwork(string cidr) =>
        IPNetwork.TryParse(cidr, out var network) && string.Equals(network.ToString(), cidr, StringComparison.Ordinal)
        && CidrChars().IsMatch(cidr);

    private static string Printable(string value) => Regex.Replace(value, @"[^\x20-\x7e]", "?");

    [GeneratedRegex(@"^[0-9a-f.:]+/[0-9]{1,3}\z")]
    private static partial Regex CidrChars();
}

/// <summary>
/// Pure text editing of pg_hba.conf: a managed block between <see cref="BeginMarker"/> and <see cref="EndMarker"/>
/// holding one line per tenant, sorted by tenant id. Everything outside the block is left byte for byte.
/// If the block is absent it is inserted before the first rule whose database column is <c>all</c>
/// (PostgreSQL uses the first matching line, so tenant lines must come before the catch-all), else at the end.
/// </summary>
public static partial class PgHbaText
{
    public const string BeginMarker = "# BEGIN runbook-host managed tenant rules (do not edit)";
    public const string EndMarker = "# END runbook-host managed tenant rules";

    /// <summary>Adds or replaces the tenant's line. Returns the content unchanged when the line is already there.</summary>
    public static string SetTenant(string content, TenantId tenant, string line)
    {
        EnsureManagedLine(line, tenant);
        return Edit(content, rules =>
        {
            rules[tenant.Value] = line;
        });
    }

    /// <summary>Removes the tenant's line (absent is fine). The block itself stays, possibly empty.</summary>
    public static string RemoveTenant(string content, TenantId tenant)
    {
        ArgumentNullException.ThrowIfNull(tenant);
        var doc = Parse(content);
        if (doc.Begin < 0)
            return content;
        return Edit(content, rules => rules.Remove(tenant.Value));
    }

    /// <summary>The managed lines by tenant id (empty when there is no block).</summary>
    public static IReadOnlyDictionary<string, string> ManagedLines(string content)
    {
        var doc = Parse(content);
        return doc.Rules;
    }

    /// <summary>Throws unless <paramref name="line"/> has exactly the managed shape for <paramref name="tenant"/>.</summary>
    internal static void EnsureManagedLine(string line, TenantId tenant)
    {
        ArgumentNullException.ThrowIfNull(line);
        ArgumentNullException.ThrowIfNull(tenant);
        var match = ManagedLine().Match(line);
        if (!match.Success || match.Groups["id"].Value != tenant.Value || match.Groups["user"].Value != tenant.Value
            || !PgHbaPolicy.IsCanonicalNetwork(match.Groups["cidr"].Value)
            || !PgHbaPolicy.AllowedMethods.Contains(match.Groups["method"].Value, StringComparer.Ordinal))
            throw new ArgumentException($"refusing to write a pg_hba.conf line that is not exactly 'host tenant_{tenant} tenant_{tenant}_user <network>/<bits> <scram-sha-256|md5|cert>'", nameof(line));
    }

    private static string Edit(string content, Action<SortedDictionary<string, string>> change)
    {
        var doc = Parse(content);
        var rules = new SortedDictionary<string, string>(doc.Rules, StringComparer.Ordinal);
        change(rules);
        var block = new List<string>(rules.Count + 2) { BeginMarker };
        block.AddRange(rules.Values);
        block.Add(EndMarker);

        var lines = new List<string>(doc.Lines);
        int at;
        if (doc.Begin >= 0)
        {
            lines.RemoveRange(doc.Begin, doc.End - doc.Begin + 1);
            at = doc.Begin;
        }
        else
        {
            at = doc.CatchAll >= 0 ? doc.CatchAll : lines.Count;
        }
        lines.InsertRange(at, block);
        var result = string.Join(doc.NewLine, lines);
        if (doc.TrailingNewLine || doc.Lines.Count == 0)
            result += doc.NewLine;
        return result;
    }

    private sealed record Document(List<string> Lines, string NewLine, bool TrailingNewLine, int Begin, int End, int CatchAll, Dictionary<string, string> Rules);

    private static Document Parse(string content)
    {
        ArgumentNullException.ThrowIfNull(content);
        if (content.Contains('\0'))
            throw new InvalidDataException("pg_hba.conf contains a NUL byte");
        var newLine = content.Contains("\r\n", StringComparison.Ordinal) ? "\r\n" : "\n";
        var trailing = content.EndsWith('\n');
        var body = trailing ? content[..^newLine.Length] : content;
        if (trailing && !content.EndsWith(newLine, StringComparison.Ordinal))
            body = content[..^1];
        var lines = content.Length == 0 ? new List<string>() : body.Split(newLine).ToList();

        int begin = -1, end = -1, catchAll = -1;
        var rules = new Dictionary<string, string>(StringComparer.Ordinal);
        var continued = false;
        for (var i = 0; i < lines.Count; i++)
        {
            var raw = lines[i];
            var text = raw.Trim();
            if (text == BeginMarker)
            {
                if (begin >= 0)
                    throw new InvalidDataException($"pg_hba.conf has more than one '{BeginMarker}' line (line {i + 1})");
                begin = i;
                continue;
            }
            if (text == EndMarker)
            {
                if (begin < 0 || end >= 0)
                    throw new InvalidDataException($"pg_hba.conf has an unexpected '{EndMarker}' line (line {i + 1})");
                end = i;
                continue;
            }
            if (begin >= 0 && end < 0)
            {
                // inside the managed block: only our own lines (or blank lines) may be there
                if (text.Length == 0)
                    continue;
                var match = ManagedLine().Match(raw);
                if (!match.Success || match.Groups["id"].Value != match.Groups["user"].Value || !TenantId.TryParse(match.Groups["id"].Value, out _, out _))
                    throw new InvalidDataException($"pg_hba.conf line {i + 1} inside the runbook-host managed block was not written by runbook-host; refusing to edit (move it outside the block)");
                if (!rules.TryAdd(match.Groups["id"].Value, raw))
                    throw new InvalidDataException($"pg_hba.conf managed block has two lines for tenant {match.Groups["id"].Value} (line {i + 1})");
                continue;
            }
            var isContinuation = continued;
            continued = text.Length > 0 && !text.StartsWith('#') && StripComment(raw).TrimEnd().EndsWith('\\');
            if (text.Length == 0 || text.StartsWith('#') || isContinuation || catchAll >= 0 || begin >= 0)
                continue;
            var fields = StripComment(raw).Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length >= 2 && fields[0] is "local" or "host" or "hostssl" or "hostnossl" or "hostgssenc" or "hostnogssenc"
                && fields[1].Split(',').Contains("all", StringComparer.Ordinal))
                catchAll = i;
        }
        if (begin >= 0 && end < 0)
            throw new InvalidDataException($"pg_hba.conf has '{BeginMarker}' without '{EndMarker}'");
        return new Document(lines, newLine, trailing, begin, end, catchAll, rules);
    }

    private static string StripComment(string line)
    {
        var hash = line.IndexOf('#');
        return hash < 0 ? line : line[..hash];
    }

    [GeneratedRegex(@"^host tenant_(?<id>[a-z][a-z0-9]{2,31}) tenant_(?<user>[a-z][a-z0-9]{2,31})_user (?<cidr>[0-9a-f.:]+/[0-9]{1,3}) (?<method>[a-z0-9-]+)\z")]
    private static partial Regex ManagedLine();
}
