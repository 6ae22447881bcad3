using RunbookHost.Evidence;
using RunbookHost.Stores;

namespace RunbookHost.Pki;

/// <summary>Check records of the PKI verification: store "pki".</summary>
public static class PkiChecks
{
    public const string Store = "pki";

    public static CheckRecord Fact(string test, bool holds, string detail) =>
        new(Store, test, holds ? CheckResults.Pass : CheckResults.Fail, DateTimeOffset.MinValue, holds, detail);

    /// <summary>A certificate that must be refused: REFUSED passes, ACCEPTED fails.</summary>
    public static CheckRecord Refusal(string test, bool refused, string detail) =>
        new(Store, test, refused ? CheckResults.Denied : CheckResults.Allowed, DateTimeOffset.MinValue, refused, detail);

    public static CheckRecord Incomplete(string test, string why) => CheckRecord.Incomplete(Store, test, why);
}
