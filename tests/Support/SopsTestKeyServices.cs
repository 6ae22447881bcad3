using System.Text;
using CliWrap;
using RunbookHost.Keys.Sops;

namespace RunbookHost.Tests.Support;

/// <summary>
/// Test-only key service backed by the real <c>age</c> CLI (Debian age 1.1.1): the data key goes
/// through stdin/stdout pipes, never through a file.
/// </summary>
public sealed class AgeCliKeyService(params string[] identityFiles) : ISopsKeyService
{
    private const string AgePath = "/usr/bin/age";

    public int UnwrapCalls { get; private set; }

    public IReadOnlyList<SopsAgeStanza> Wrap(ReadOnlySpan<byte> dataKey, IReadOnlyList<string> ageRecipients)
    {
        var key = dataKey.ToArray();
        var result = new List<SopsAgeStanza>();
        foreach (var recipient in ageRecipients)
        {
            var (code, stdout, _) = Run(["-e", "-a", "-r", recipient], key);
            if (code != 0)
                throw new SopsException($"age could not encrypt to recipient {recipient}");
            result.Add(new SopsAgeStanza(recipient, Encoding.ASCII.GetString(stdout)));
        }
        return result;
    }

    public byte[] Unwrap(SopsMetadata metadata)
    {
        UnwrapCalls++;
        foreach (var stanza in metadata.Age)
        {
            foreach (var identity in identityFiles)
            {
                var (code, stdout, _) = Run(["-d", "-i", identity], Encoding.ASCII.GetBytes(stanza.Enc));
                if (code == 0)
                    return stdout;
            }
        }
        throw new SopsException("no usable key: no available age identity opens any age stanza");
    }

    private static (int Code, byte[] Stdout, string Stderr) Run(string[] args, byte[] stdin)
    {
        using var stdout = new MemoryStream();
        var stderr = new StringBuilder();
        var result = CliWrap.Cli.Wrap(AgePath)
            .WithArguments(args)
            .WithStandardInputPipe(PipeSource.FromBytes(stdin))
            .WithStandardOutputPipe(PipeTarget.ToStream(stdout))
            .WithStandardErrorPipe(PipeTarget.ToStringBuilder(stderr))
            .WithValidation(CommandResultValidation.None)
            .ExecuteAsync().GetAwaiter().GetResult();
        return (result.ExitCode, stdout.ToArray(), stderr.ToString());
    }

    /// <summary>Generate a throwaway identity with age-keygen; returns (identity file, recipient).</summary>
    public static (string IdentityFile, string Recipient) NewIdentity(string folder)
    {
        var file = Path.Combine(folder, $"id-{Guid.NewGuid():N}.txt");
        var stderr = new StringBuilder();
        CliWrap.Cli.Wrap("/usr/bin/age-keygen").WithArguments(["-o", file])
            .WithStandardErrorPipe(PipeTarget.ToStringBuilder(stderr))
            .ExecuteAsync().GetAwaiter().GetResult();
        return (file, PublicKeyOf(file)[0]);
    }

    /// <summary>The <c># public key:</c> lines of an identity file.</summary>
    public static IReadOnlyList<string> PublicKeyOf(string identityFile) =>
        File.ReadAllLines(identityFile)
            .Where(l => l.StartsWith("# public key: ", StringComparison.Ordinal))
            .Select(l => l["# public key: ".Length..].Trim())
            .ToList();
}

/// <summary>Test-only: returns a data key known in advance (the manifests give it for PGP-wrapped fixtures).</summary>
public sealed class KnownDataKeyService(byte[] dataKey) : ISopsKeyService
{
    public IReadOnlyList<SopsAgeStanza> Wrap(ReadOnlySpan<byte> dataKey, IReadOnlyList<string> ageRecipients) =>
        throw new NotSupportedException("KnownDataKeyService cannot wrap");

    public byte[] Unwrap(SopsMetadata metadata) => (byte[])dataKey.Clone();
}

/// <summary>
/// Test-only, in-memory, NOT a real key wrap: the "enc" text carries the data key in hex so tests
/// can run fast without age. Unwrap succeeds only for stanzas whose recipient is an "identity".
/// </summary>
public sealed class FakeKeyService(params string[] identities) : ISopsKeyService
{
    private const string Prefix = "FAKE-WRAPPED:";

    public List<byte[]> Wrapped { get; } = [];

    public IReadOnlyList<SopsAgeStanza> Wrap(ReadOnlySpan<byte> dataKey, IReadOnlyList<string> ageRecipients)
    {
        Wrapped.Add(dataKey.ToArray());
        var hex = Convert.ToHexString(dataKey);
        return ageRecipients.Select(r => new SopsAgeStanza(r, $"{Prefix}{r}:{hex}\n")).ToList();
    }

    public byte[] Unwrap(SopsMetadata metadata)
    {
        foreach (var stanza in metadata.Age)
        {
            if (!identities.Contains(stanza.Recipient, StringComparer.Ordinal)) continue;
            var text = stanza.Enc.Trim();
            if (text.StartsWith(Prefix + stanza.Recipient + ":", StringComparison.Ordinal))
                return Convert.FromHexString(text[(Prefix.Length + stanza.Recipient.Length + 1)..]);
        }
        throw new SopsException("no usable key: no identity for any stanza");
    }
}

/// <summary>A clock fixed at a given instant.</summary>
public sealed class FixedClock(DateTimeOffset now) : TimeProvider
{
    public DateTimeOffset Now { get; set; } = now;
    public override DateTimeOffset GetUtcNow() => Now;
}
