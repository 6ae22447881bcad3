using System.ComponentModel;
using RunbookHost.Cli.Execution;
using RunbookHost.Pki;
using Spectre.Console.Cli;

namespace RunbookHost.Cli.Commands;

[Description("Write nats-server's configuration and client-CA bundle from the registry and the PKI (the server certificate the first time), and reload a running server; idempotent")]
internal sealed class NatsInitCommand : AsyncCommand<GlobalSettings>
{
    public override async Task<int> ExecuteAsync(CommandContext context, GlobalSettings options, CancellationToken cancellationToken)
    {
        var environment = HostEnvironment.Create(options, quiet: true);
        var nats = environment.Settings.Nats;
        if (!nats.IsConfigured || nats.ConfigFile.Length == 0)
            throw new UsageException("set RUNBOOKHOST_Nats__Url and RUNBOOKHOST_Nats__ConfigFile (scripts/local-services.sh prints them)");
        await using var services = new ServicesFactory(environment.Settings, environment.Clock);
        _ = await services.ReadyRegistry(cancellationToken)
            ?? throw new UsageException("the PKI records certificates in the registry on PostgreSQL: set RUNBOOKHOST_Postgres__AdminConnectionString");
        var bus = services.Services.Bus ?? throw new UsageException(services.Services.BusDisabled);
        try
        {
            using var configuration = bus.LockConfiguration(cancellationToken);
            foreach (var line in await bus.InitializeAsync(cancellationToken))
                Console.Out.WriteLine(line);
            return ExitCodes.Success;
        }
        catch (Exception error) when (error is RunbookHost.Runbooks.Steps.NatsApplyException or PkiException or ArgumentException)
        {
            Console.Error.WriteLine($"nats init: {error.Message.Split('\n')[0]}");
            return ExitCodes.RunbookFailed;
        }
    }
}
