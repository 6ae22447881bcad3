using RunbookHost.Cli.Commands;

namespace RunbookHost.Cli.Execution;

/// <summary>`--all-tenants`: the same run path for every active tenant in the registry, in parallel.</summary>
internal static class FleetRun
{
    public static Task<int> Run(HostEnvironment environment, RunbookRunner runner, RunbookRunner.Prepared prepared, bool json, CancellationToken cancellationToken) =>
        throw new UsageException("--all-tenants needs the tenant registry (RUNBOOKHOST_Postgres__AdminConnectionString)");
}
