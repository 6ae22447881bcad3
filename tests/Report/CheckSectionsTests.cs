using RunbookHost.Evidence;
using RunbookHost.Report;

namespace RunbookHost.Tests.Report;

public sealed class CheckSectionsTests
{
    private static readonly StepRecord[] V1Steps =
    [
        new("§9.1.1 MinIO: only the tenant's bucket", StepStatus.Skipped, 0),
        new("§9.1.2 PostgreSQL: only the tenant's database, as its own user (§3.3)", StepStatus.Succeeded, 1),
        new("§9.1.2 PostgreSQL: pg_hba.conf has exactly the tenant's network line (§3.2)", StepStatus.Succeeded, 1),
        new("create bucket", StepStatus.Succeeded, 1),
    ];

    [Theory]
    [InlineData("§9.1.2 PostgreSQL: x", "§9.1.2")]
    [InlineData("§10.2-3 generate credentials", "§10.2")]
    [InlineData("generate credentials (§6.3)", "unknown")]
    public void AV2CheckTakesTheLeadingSectionOfItsStep(string step, string section) =>
        Assert.Equal(section, CheckSections.Of(new CheckRecord("postgresql", "t", "PASS", default, true) { Step = step }, V1Steps));

    [Fact]
    public void AV1CheckTakesTheSectionOfTheStepsThatNameItsStoreWhenTheyAgree()
    {
        Assert.Equal("§9.1.2", CheckSections.Of(new CheckRecord("postgresql", "cross_db_connect", "DENIED", default, true), V1Steps));
        Assert.Equal("§9.1.1", CheckSections.Of(new CheckRecord("minio", "x", "SKIPPED", default, true), V1Steps));
    }

    [Fact]
    public void AV1CheckWhoseStoreNoStepNamesIsUnknown()
    {
        Assert.Equal(CheckSections.Unknown, CheckSections.Of(new CheckRecord("redis", "x", "DENIED", default, true), V1Steps));
        Assert.Equal(CheckSections.Unknown, CheckSections.Of(new CheckRecord("bucket", "x", "DENIED", default, true),
            [.. V1Steps, new StepRecord("§2.1 bucket", StepStatus.Succeeded, 1), new StepRecord("§2.2 bucket policy", StepStatus.Succeeded, 1)]));
    }
}
