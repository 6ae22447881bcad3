using System.ComponentModel;
using System.Security.Cryptography;
using System.Text;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using System.Text.RegularExpressions;
using RunbookHost.IO;
using RunbookHost.Nats;
using Spectre.Console.Cli;

namespace RunbookHost.Cli.Commands;

[Description("Try the bus by hand as a component: with an onboarding package's certificate, subscribe to a subject and publish on it; exit 0 delivered, 3 refused by the server, 4 inconclusive (server not reached, no answer)")]
internal sealed partial class NatsTryCommand : AsyncCommand<NatsTryCommand.Settings>
{
    private const int MaxPackageFileBytes = 64 * 1024;

    public sealed class Settings : CommandSettings
    {
        [CommandArgument(0, "<PACKAGE>")]
        [Description("An onboarding package folder (ca-chain.pem, cert.pem, key.pem, nats.json), as written by `run onboard`")]
        public string Package { get; init; } = "";

        [CommandOption("--subject <SUBJECT>")]
        [Description("A literal subject (no wildcards), e.g. acme.orders.created or globex.orders.created")]
        public string Subject { get; init; } = "";
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        if (settings.Subject.Length > 255 || !LiteralSubject().IsMatch(settings.Subject))
            throw new UsageException("give --subject <SUBJECT>: dot-separated tokens of letters, digits, '-' or '_', no wildcards, at most 255 characters");
        var package = Path.GetFullPath(settings.Package);
        var (url, inboxPrefix) = ReadBusFile(package);
        using var identity = ReadIdentity(package, out var serverTrust);
        var endpoint = new NatsEndpoint(url, serverTrust);
        var result = await NatsTrial.PublishAndSubscribeAsync(endpoint, new NatsClientIdentity(identity.Certificate, identity.Chain), inboxPrefix, settings.Subject, cancellationToken);
        var name = identity.Certificate.GetNameInfo(X509NameType.DnsName, forIssuer: false);
        Console.Out.WriteLine($"{name} on {settings.Subject}: {Describe(result.Outcome)} ({result.Detail})");
        return result.Outcome switch
        {
            NatsTrialOutcome.Delivered => ExitCodes.Success,
            NatsTrialOutcome.Refused or NatsTrialOutcome.ConnectionRefused => ExitCodes.VerificationFailed,
            _ => ExitCodes.Incomplete,
        };
    }

    private static string Describe(NatsTrialOutcome outcome) => outcome switch
    {
        NatsTrialOutcome.Delivered => "delivered",
        NatsTrialOutcome.Refused => "REFUSED by the server",
        NatsTrialOutcome.ConnectionRefused => "connection REFUSED by the server",
        _ => "inconclusive",
    };

    private static (string Url, string InboxPrefix) ReadBusFile(string package)
    {
        var text = ReadPackageFile(package, "nats.json");
        try
        {
            using var json = JsonDocument.Parse(text);
            var url = json.RootElement.GetProperty("url").GetString();
            var inbox = json.RootElement.GetProperty("inbox_prefix").GetString();
            if (url is null || !(url.StartsWith("tls://", StringComparison.Ordinal) || url.StartsWith("nats://", StringComparison.Ordinal)))
                throw new UsageException("nats.json of the package has no bus URL (Nats:Url was not configured when it was issued)");
            return (url, inbox ?? throw new UsageException("nats.json of the package has no inbox_prefix"));
        }
        catch (Exception error) when (error is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw new UsageException("nats.json of the package is not an onboarding package's bus file");
        }
    }

    /// <summary>The component's certificate with its key, the tenant CA to present with it, and the root to verify the server with.</summary>
    private static PackageIdentity ReadIdentity(string package, out X509Certificate2Collection serverTrust)
    {
        var chain = new X509Certificate2Collection();
        chain.ImportFromPem(ReadPackageFile(package, "ca-chain.pem"));
        // key.pem is private to its owner: read through PrivateFile, which refuses a group/world-readable or linked file.
        var key = PrivateFile.ReadIfExists(Path.Combine(package, "key.pem"), "package key", MaxPackageFileBytes)
            ?? throw new UsageException($"{package}: no key.pem");
        X509Certificate2 certificate;
        try
        {
            certificate = X509Certificate2.CreateFromPem(ReadPackageFile(package, "cert.pem"), Encoding.ASCII.GetString(key));
        }
        catch (CryptographicException)
        {
            throw new UsageException($"{package}: cert.pem and key.pem are not a certificate and its private key");
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }
        serverTrust = [.. chain.Where(c => c.SubjectName.RawData.AsSpan().SequenceEqual(c.IssuerName.RawData))];
        var issuers = chain.Where(c => !c.SubjectName.RawData.AsSpan().SequenceEqual(c.IssuerName.RawData)).ToList();
        if (serverTrust.Count == 0 || issuers.Count == 0)
            throw new UsageException($"{package}: ca-chain.pem must hold the tenant CA and the platform root");
        return new PackageIdentity(certificate, issuers);
    }

    private static string ReadPackageFile(string package, string name)
    {
        var path = Path.Combine(package, name);
        return File.Exists(path) && new FileInfo(path).Length <= MaxPackageFileBytes
            ? File.ReadAllText(path)
            : throw new UsageException($"{package}: no {name} (is it an onboarding package folder?)");
    }

    private sealed record PackageIdentity(X509Certificate2 Certificate, IReadOnlyList<X509Certificate2> Chain) : IDisposable
    {
        public void Dispose()
        {
            Certificate.Dispose();
            foreach (var issuer in Chain)
                issuer.Dispose();
        }
    }

    [GeneratedRegex(@"\A[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*\z")]
    private static partial Regex LiteralSubject();
}
