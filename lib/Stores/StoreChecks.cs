using RunbookHost.Evidence;

namespace RunbookHost.Stores;

/// <summary>Result words used in <see cref="CheckRecord.Result"/> by the store verifications.</summary>
public static class CheckResults
{
    public const string Allowed = "ALLOWED";
    public const string Denied = "DENIED";
    public const string Pass = "PASS";
    public const string Fail = "FAIL";
    public const string Error = "ERROR";
    public const string Skipped = "SKIPPED";
}

internal static class Checks
{
    public static CheckRecord Expect(DateTimeOffset at, string store, string test, string expected, string actual, string? detail = null) =>
        new(store, test, actual, at, string.Equals(expected, actual, StringComparison.Ordinal), detail);
}
