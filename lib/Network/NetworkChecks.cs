using RunbookHost.Evidence;
using RunbookHost.Stores;

namespace RunbookHost.Network;

/// <summary>Check records of the network verification: store "network", the provider named in every detail.</summary>
public static class NetworkChecks
{
    public const string Store = "network";
    public const string Absent = "ABSENT";
    public const string Present = "PRESENT";

    /// <summary>An expected ALLOWED/DENIED (or PASS) compared with what was observed.</summary>
    public static CheckRecord Expect(string provider, string test, string expected, string actual, string detail) =>
        new(Store, test, actual, DateTimeOffset.MinValue, expected == actual, $"{provider}: {detail}");

    public static CheckRecord Reach(string provider, string test, bool expectOpen, bool open, string detail) =>
        Expect(provider, test, expectOpen ? CheckResults.Allowed : CheckResults.Denied, open ? CheckResults.Allowed : CheckResults.Denied, detail);

    public static CheckRecord Fact(string provider, string test, bool holds, string detail) =>
        Expect(provider, test, CheckResults.Pass, holds ? CheckResults.Pass : CheckResults.Fail, detail);

    public static CheckRecord Absence(string provider, string test, bool absent, string detail) =>
        new(Store, test, absent ? Absent : Present, DateTimeOffset.MinValue, absent, $"{provider}: {detail}");

    public static CheckRecord Incomplete(string provider, string test, string why) => CheckRecord.Incomplete(Store, test, $"{provider}: {why}");
}
