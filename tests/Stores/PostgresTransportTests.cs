using Npgsql;
using RunbookHost.Stores.Postgres;

namespace RunbookHost.Tests.Stores;

public class PostgresTransportTests
{
    [Theory]
    [InlineData("Host=db.internal;SSL Mode=Prefer", true)]
    [InlineData("Host=10.0.0.5;SSL Mode=Require", true)]
    [InlineData("Host=db.internal;SSL Mode=Disable", true)]
    [InlineData("Host=127.0.0.1,db.internal;SSL Mode=Prefer", true)]
    [InlineData("Host=db.internal;SSL Mode=VerifyFull", false)]
    [InlineData("Host=db.internal;SSL Mode=VerifyCA", false)]
    [InlineData("Host=127.0.0.1;SSL Mode=Disable", false)]
    [InlineData("Host=localhost;SSL Mode=Prefer", false)]
    [InlineData("Host=::1;SSL Mode=Disable", false)]
    [InlineData("Host=[::1]:5433;SSL Mode=Disable", false)]
    [InlineData("Host=/var/run/postgresql;SSL Mode=Disable", false)]
    public void AConnectionLeavingTheMachineWithoutCertificateVerificationIsFlagged(string connectionString, bool warned)
    {
        var line = PostgresTransport.Describe(new NpgsqlConnectionStringBuilder(connectionString));

        Assert.Equal(warned, line.StartsWith("WARNING:", StringComparison.Ordinal));
        Assert.DoesNotContain("\n", line);
    }
}
