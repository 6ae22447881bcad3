using RunbookHost.Evidence;
using RunbookHost.Stores;

namespace RunbookHost.Runbooks.Steps;

/// <summary>Check records the step helpers share. The context re-stamps each with its clock when recorded.</summary>
internal static class StepChecks
{
    public const string Absent = "ABSENT";
    public const string Present = "PRESENT";

    public static CheckRecord Skipped(string store, string test, string reason) =>
        new(store, test, CheckResults.Skipped, DateTimeOffset.MinValue, true, $"skipped: {reason}");

    public static CheckRecord Absence(string store, string test, bool absent, string what) =>
        new(store, test, absent ? Absent : Present, DateTimeOffset.MinValue, absent, what);
}
