using System.ComponentModel;
using RunbookHost.IO;
using RunbookHost.Keys.Age;
using Spectre.Console.Cli;

namespace RunbookHost.Cli.Commands;

/// <summary>
/// The age tool's key chores without the age binary (recovering an archived key, a manual rotation).
/// Same conventions as age: stdin/stdout when FILE is absent, armored input detected, nothing on
/// stdout for a file whose header fails; any failure exits 3.
/// </summary>
[Description("Generate an age X25519 key pair (like age-keygen)")]
internal sealed class AgeKeygenCommand : Command<AgeKeygenCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandOption("-o|--output <FILE>")]
        [Description("Write the key file here (mode 0600, refuses to overwrite) instead of stdout")]
        public string? Output { get; init; }
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var identity = AgeX25519Identity.Generate();
        var text = AgeKeyFile.Format(identity, TimeProvider.System.GetUtcNow());
        if (settings.Output is null)
        {
            Console.Out.Write(text);
            return ExitCodes.Success;
        }
        if (File.Exists(settings.Output))
            throw new UsageException($"{settings.Output} exists: refusing to overwrite a key file");
        AtomicFile.WriteText(settings.Output, text, AtomicFile.PrivateFile);
        Console.Error.WriteLine($"Public key: {identity.Recipient}");
        return ExitCodes.Success;
    }
}

[Description("Encrypt to age recipients (like age -e -r)")]
internal sealed class AgeEncryptCommand : Command<AgeEncryptCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandArgument(0, "[FILE]")]
        public string? Input { get; init; }

        [CommandOption("-r|--recipient <RECIPIENT>")]
        [Description("age1… recipient; repeatable")]
        public string[] Recipients { get; init; } = [];

        [CommandOption("-a|--armor")]
        [Description("ASCII-armored output")]
        public bool Armor { get; init; }
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        if (settings.Recipients.Length == 0)
            throw new UsageException("give at least one -r age1… recipient");
        var recipients = settings.Recipients.Select(AgeCli.ParseRecipient).ToList();
        using var input = AgeCli.OpenInput(settings.Input);
        using var output = Console.OpenStandardOutput();
        AgeFile.Encrypt(input, output, recipients, settings.Armor);
        return ExitCodes.Success;
    }
}

[Description("Decrypt an age file (like age -d -i); exit 3 on any failure")]
internal sealed class AgeDecryptCommand : Command<AgeDecryptCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandArgument(0, "[FILE]")]
        public string? Input { get; init; }

        [CommandOption("-i|--identity <FILE>")]
        [Description("Identity file (age-keygen format); repeatable")]
        public string[] Identities { get; init; } = [];
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        if (settings.Identities.Length == 0)
            throw new UsageException("give at least one -i identity file");
        var identities = settings.Identities.SelectMany(AgeCli.ReadIdentities).ToList();
        using var input = AgeCli.OpenInput(settings.Input);
        using var output = Console.OpenStandardOutput();
        // The streaming decryptor verifies the header MAC before it writes a single byte.
        AgeFile.Decrypt(input, output, identities);
        return ExitCodes.Success;
    }
}

internal static class AgeCli
{
    public static AgeX25519Recipient ParseRecipient(string text)
    {
        try { return AgeX25519Recipient.Parse(text); }
        catch (AgeException error) { throw new UsageException(error.Message); }
    }

    public static IReadOnlyList<IAgeIdentity> ReadIdentities(string path)
    {
        if (!File.Exists(path))
            throw new UsageException($"identity file not found: {path}");
        try { return AgeKeyFile.ParseIdentities(File.ReadAllText(path)); }
        catch (AgeException error) { throw new UsageException($"{path}: {error.Message}"); }
    }

    public static Stream OpenInput(string? path)
    {
        if (path is null)
            return Console.OpenStandardInput();
        if (!File.Exists(path))
            throw new UsageException($"input file not found: {path}");
        return File.OpenRead(path);
    }
}
