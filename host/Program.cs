using RunbookHost.Cli.Commands;
using Spectre.Console.Cli;

namespace RunbookHost.Cli;

public static class Program
{
    public static int Main(string[] args)
    {
        RunbookHost.Diagnostics.TimingTrace.Mark("main");
        var app = new CommandApp();
        app.Configure(config =>
        {
            config.SetApplicationName("runbook-host");
            // `runbook-host --version`: the host version and the git commit it was built from.
            config.SetApplicationVersion(HostInfo.VersionLine);
            config.PropagateExceptions();
            config.AddCommand<ListCommand>("list");
            config.AddCommand<RunCommand>("run")
                .WithExample("run", "rotate-keys", "--tenant", "acme", "--param", "reason=scheduled");
            config.AddCommand<DoctorCommand>("doctor");
            config.AddCommand<TenantsCommand>("tenants");
            config.AddBranch("secrets", secrets =>
            {
                secrets.SetDescription("SOPS files, natively (no sops binary needed)");
                secrets.AddCommand<SecretsDecryptCommand>("decrypt");
                secrets.AddCommand<SecretsEncryptCommand>("encrypt");
            });
            config.AddCommand<ScheduleCommand>("schedule");
            config.AddBranch("nats", nats =>
            {
                nats.SetDescription("The message bus: nats-server's configuration, written by runbook-host (docs/nats.md)");
                nats.AddCommand<NatsInitCommand>("init");
                nats.AddCommand<NatsTryCommand>("try");
            });
            config.AddBranch("age", age =>
            {
                age.SetDescription("age keys and files, natively (no age binary needed)");
                age.AddCommand<AgeKeygenCommand>("keygen");
                age.AddCommand<AgeEncryptCommand>("encrypt");
                age.AddCommand<AgeDecryptCommand>("decrypt");
            });
            config.AddBranch("pki", pki =>
            {
                pki.SetDescription("The platform certificate authority (docs/pki.md)");
                pki.AddCommand<PkiInitCommand>("init");
                pki.AddCommand<PkiAdminCertCommand>("admin-cert");
            });
            config.AddBranch("evidence", evidence =>
            {
                evidence.SetDescription("Evidence files");
                evidence.AddCommand<EvidenceVerifyCommand>("verify");
                evidence.AddCommand<EvidenceHeadsCommand>("heads");
                evidence.AddCommand<EvidenceRotateKeyCommand>("rotate-key");
            });
            config.AddCommand<ReportCommand>("report")
                .WithExample("report", "evidence", "-o", "report.html")
                .WithExample("report", "evidence", "--key", "pinned.pub.pem", "--format", "hdf", "-o", "report.hdf.json");
        });
        try
        {
            var code = app.Run(args);
            RunbookHost.Diagnostics.TimingTrace.Mark("command done");
            if (args.Length == 0 || args is ["--help"] or ["-h"])
                Console.Out.WriteLine(Environment.NewLine + ExitCodes.Help);
            return code;
        }
        catch (Exception error) when (Classify(error) is { } exitCode)
        {
            foreach (var line in Lines(error.Message))
                Console.Error.WriteLine($"runbook-host: {line}");
            return exitCode;
        }
    }

    private static int? Classify(Exception error) => error switch
    {
        UsageException or CommandAppException or RunbookHost.IO.UntrustedFileException => ExitCodes.UsageError,
        RunbookHost.Evidence.EvidencePreflightException => ExitCodes.UsageError, // before the run acted: nothing was touched
        RunbookHost.Keys.Age.AgeException or RunbookHost.Keys.Sops.SopsException => ExitCodes.VerificationFailed,
        RunbookHost.Tenants.TenantBusyException or RunbookHost.Registry.TenantLockUnavailableException => ExitCodes.RunbookFailed,
        OperationCanceledException => ExitCodes.RunbookFailed,
        _ => ExitCodes.RunbookFailed, // never a stack trace: the JSON log file has the details
    };

    /// <summary>One line per problem (a compile error may list several diagnostics); never a stack trace.</summary>
    private static IEnumerable<string> Lines(string message)
    {
        var lines = message.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        return lines.Length == 0 ? ["unexpected error"] : lines.Take(20);
    }
}
