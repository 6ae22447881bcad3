using RunbookHost.Tests.Support;

namespace RunbookHost.Tests.Keys.Age;

/// <summary>The C2SP/CCTV age test kit in tests/fixtures/age-testkit (absent = failure, never a skip).</summary>
internal static class AgeFixtures
{
    public static string Testkit => TestFixtures.Folder("age-testkit");
}
