namespace RunbookHost.Tests.Tenants;

/// <summary>
/// Tenant ids and parameter values an attacker or a careless script might pass: SQL, shell and glob
/// metacharacters, path traversal, whitespace and control characters, unicode look-alikes, wrong
/// lengths and cases. None may ever be accepted as a tenant id.
/// </summary>
public static class HostileInputs
{
    private static readonly string[] Handwritten =
    [
        "", " ", "  ", "\t", "\n", "ab", "a", "1", "0abc", "9tenant", "_abc", "-abc", "Acme", "ACME", "acmE", "aCme",
        "acme'", "acme\"", "acme;", "acme--", "acme/*", "acme*/", "acme' OR '1'='1", "acme'; DROP DATABASE postgres; --",
        "acme\"; DROP ROLE postgres; --", "a'b", "a\"b", "a;b", "a--b", "acme%", "acme_", "a_b", "a-b", "a.b", "a,b",
        "acme*", "acme?", "acme[", "acme]", "acme[a-z]", "*", "?", "[", "]", "tenant:*", "tenant:acme", "acme:x", "acme:*",
        "../acme", "..", "../..", "acme/..", "acme/../../etc", "/etc/passwd", "./acme", "acme/", "/acme", "acme\\x", "..\\acme",
        "acme ", " acme", "ac me", "acme\t", "acme\n", "acme\r", "acme\r\n", "acme\0", "acme\u0000x", "acme\u0007",
        "acme\u001b[31m", "acme\u007f", "acme\u00a0", "acme\u2028", "acme\u200b", "acme\ufeff", "\ufeffacme",
        "аcme", "acmе", "асме", "ácme", "acmé", "ａｃｍｅ", "acme\u0301", "ⅰacme", "acme\u00ad", "ɑcme", "acmeı", "İacme",
        "acme$", "$acme", "acme$(id)", "acme`id`", "acme|id", "acme&", "acme&&id", "acme>x", "acme<x", "acme!", "acme#",
        "acme@", "acme^", "acme~", "acme=", "acme+", "acme{}", "acme()", "acme'\"", "acme%00", "acme%2e%2e", "acme%27",
        "abcdefghijklmnopqrstuvwxyz0123456", "abcdefghijklmnopqrstuvwxyz01234567890", new string('a', 33), new string('a', 64),
        new string('a', 1000), "a" + new string('1', 32), "A" + new string('a', 10), "NULL", "None", "CON",
        "\\", "'", "\"", ";", "--", "/*", "*/", "%", "$", "`", "|", "&", ">", "<", "\u2215acme", "acme\u2215x", "acme\u2024x",
        "acme\ud800", "acme\udfff", "😀acme", "acme😀", "ac\u200dme", "acme\u180e", "acme\u3000", "acme\u2060",
        "tenant-acme", "tenant_acme", "acme_user", "acme-bucket",
    ];

    public static IEnumerable<string> TenantIds()
    {
        foreach (var id in Handwritten)
            yield return id;
        // Every printable ASCII character that is not a lowercase letter or digit, in each position.
        for (var c = 0x20; c < 0x7f; c++)
        {
            var ch = (char)c;
            if (ch is (>= 'a' and <= 'z') or (>= '0' and <= '9'))
                continue;
            yield return $"{ch}acme";
            yield return $"ac{ch}me";
            yield return $"acme{ch}";
        }
    }

    public static IEnumerable<object[]> TenantIdCases() => TenantIds().Distinct().Select(id => new object[] { id });
}
