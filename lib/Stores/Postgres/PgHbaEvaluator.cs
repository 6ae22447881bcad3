namespace RunbookHost.Stores.Postgres;

/// <summary>One question put to pg_hba.conf: may <c>Role</c> reach <c>Database</c> from any of <c>Addresses</c>?</summary>
internal sealed record HbaQuestion(string Test, string Database, AddressRanges Addresses, bool ExpectAdmitted, string Description);

/// <summary>The answer: null problem = every address got the expected answer from the first line that matched it.</summary>
internal sealed record HbaAnswer(HbaQuestion Question, string? Problem);

/// <summary>
/// PostgreSQL 15's pg_hba.conf matching (hba.c check_hba) as a model: lines top-down, the first line whose connection
/// type, database, user and address match decides, <c>reject</c> refuses, and no match refuses. Evaluated over
/// address sets, for a TCP client without encryption, with SSL and with GSSAPI encryption (hostssl, hostnossl,
/// hostgssenc, hostnogssenc). <c>local</c> lines are Unix sockets, which no tenant network reaches.
/// </summary>
internal static class PgHbaEvaluator
{
    private sealed record Transport(string Name, bool Ssl, bool Gss);

    private static readonly Transport[] Transports = [new("tcp", false, false), new("ssl", true, false), new("gssenc", false, true)];

    /// <summary>Methods that do not make the client prove a password it never sent in clear.</summary>
    internal static readonly IReadOnlySet<string> WeakMethods = new HashSet<string>(StringComparer.Ordinal) { "trust", "password" };

    /// <param name="rules">Every line of pg_hba_file_rules, in file order (lines with errors must be refused before).</param>
    /// <param name="role">The role connecting.</param>
    /// <param name="memberOf">Every role <paramref name="role"/> is a member of, directly or not, itself included (for +group and samerole).</param>
    /// <param name="question">The database, the client addresses and the answer expected for every one of them.</param>
    public static HbaAnswer Answer(IReadOnlyList<PgHbaFile.HbaRule> rules, string role, IReadOnlySet<string> memberOf, HbaQuestion question)
    {
        foreach (var transport in Transports)
        {
            if (Problem(rules, role, memberOf, question, transport) is { } problem)
                return new HbaAnswer(question, $"{problem} ({transport.Name})");
        }
        return new HbaAnswer(question, null);
    }

    private static string? Problem(IReadOnlyList<PgHbaFile.HbaRule> rules, string role, IReadOnlySet<string> memberOf, HbaQuestion q, Transport transport)
    {
        var undecided = q.Addresses;
        foreach (var rule in rules)
        {
            if (undecided.IsEmpty)
                break;
            if (!TypeMatches(rule.Type, transport) || !DatabaseMatches(rule.Databases, q.Database, role, memberOf) || !UserMatches(rule.Users, role, memberOf))
                continue;
            var method = rule.Method ?? "";
            var addresses = AddressesOf(rule);
            if (addresses is null)
            {
                // samehost, samenet or a host name: which clients they match depends on the server's interfaces or DNS.
                if (!q.ExpectAdmitted && method != "reject")
                    return $"line {rule.LineNumber} ({rule.Address}) may admit {role} to {q.Database} and cannot be evaluated here";
                continue;
            }
            var decided = undecided.Intersect(addresses);
            if (decided.IsEmpty)
                continue;
            var example = decided.Example();
            if (method == "reject")
            {
                if (q.ExpectAdmitted)
                    return $"line {rule.LineNumber} rejects {role} to {q.Database} from {example}";
            }
            else if (!q.ExpectAdmitted)
                return $"line {rule.LineNumber} admits {role} to {q.Database} from {example} ({method})";
            else if (WeakMethods.Contains(method))
                return $"line {rule.LineNumber} admits {role} to {q.Database} from {example} with {method}";
            undecided = undecided.Except(addresses);
        }
        return q.ExpectAdmitted && !undecided.IsEmpty
            ? $"no line admits {role} to {q.Database} from {undecided.Example()}: refused"
            : null;
    }

    private static bool TypeMatches(string type, Transport t) => type switch
    {
        "host" => true,
        "hostssl" => t.Ssl,
        "hostnossl" => !t.Ssl,
        "hostgssenc" => t.Gss,
        "hostnogssenc" => !t.Gss,
        _ => false, // local: Unix sockets only
    };

    /// <summary>hba.c check_db for a normal (not replication) connection.</summary>
    internal static bool DatabaseMatches(IEnumerable<string> tokens, string database, string role, IReadOnlySet<string> memberOf) =>
        tokens.Any(t => t switch
        {
            "all" => true,
            "sameuser" => database == role,
            "samerole" or "samegroup" => memberOf.Contains(database),
            "replication" => false,
            _ => t == database,
        });

    /// <summary>hba.c check_role: all, +group (membership, direct or not), or the name.</summary>
    internal static bool UserMatches(IEnumerable<string> tokens, string role, IReadOnlySet<string> memberOf) =>
        tokens.Any(t => t == "all" || (t.StartsWith('+') ? memberOf.Contains(t[1..]) : t == role));

    private static AddressRanges? AddressesOf(PgHbaFile.HbaRule rule) =>
        rule.Address switch
        {
            "all" => AddressRanges.All,
            null => AddressRanges.All,
            "samehost" or "samenet" => null,
            var a => AddressRanges.OfRule(a, rule.Netmask),
        };
}
