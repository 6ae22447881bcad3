using System.Text;
using CliWrap;
using CliWrap.Buffered;
using RunbookHost.Keys.Age;

namespace RunbookHost.Tests.Keys.Age;

/// <summary>Interop with the reference `age` / `age-keygen` CLI (Debian age 1.1.1).</summary>
public sealed class AgeCliInteropTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("age-interop-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    public static TheoryData<int, bool> Sizes()
    {
        var data = new TheoryData<int, bool>();
        foreach (var size in new[] { 0, 1, 64 * 1024, (64 * 1024) + 1, 200 * 1024 })
        {
            data.Add(size, false);
            data.Add(size, true);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public async Task ProductEncryptedFilesDecryptWithAgeCli(int size, bool armor)
    {
        var alice = AgeX25519Identity.Generate();
        var bob = AgeX25519Identity.Generate();
        var plaintext = Random.Shared.GetItems<byte>(Enumerable.Range(0, 256).Select(i => (byte)i).ToArray(), size);
        var file = AgeFile.Encrypt(plaintext, [alice.Recipient, bob.Recipient], armor);
        var input = Write("in.age", file);

        foreach (var identity in new[] { alice, bob })
        {
            var key = Write("key.txt", AgeKeyFile.Format(identity, DateTimeOffset.UtcNow));
            // Via stdout: age 1.1.1 does not create the -o file at all for an empty plaintext.
            using var stdout = new MemoryStream();
            var result = await CliWrap.Cli.Wrap("age").WithArguments(["-d", "-i", key, input])
                .WithStandardOutputPipe(PipeTarget.ToStream(stdout))
                .WithValidation(CommandResultValidation.None).ExecuteAsync();
            Assert.Equal(0, result.ExitCode);
            Assert.Equal(plaintext, stdout.ToArray());
        }
    }

    [Theory]
    [InlineData(0, false)]
    [InlineData(1, true)]
    [InlineData(64 * 1024, false)]
    [InlineData((64 * 1024) + 1, true)]
    [InlineData(200 * 1024, false)]
    [InlineData(200 * 1024, true)]
    public async Task AgeCliEncryptedFilesDecryptWithAgeFile(int size, bool armor)
    {
        var identity = AgeX25519Identity.Generate();
        var other = AgeX25519Identity.Generate();
        var plaintext = new byte[size];
        Random.Shared.NextBytes(plaintext);
        var input = Write("plain.bin", plaintext);
        var output = Path.Combine(dir, "cli.age");
        var args = new List<string> { "-e" };
        if (armor)
        {
            args.Add("-a");
        }

        args.AddRange(["-r", other.Recipient.ToString(), "-r", identity.Recipient.ToString(), "-o", output, input]);
        await Run("age", [.. args]);

        var file = File.ReadAllBytes(output);
        Assert.Equal(armor, file.AsSpan().StartsWith("-----BEGIN AGE ENCRYPTED FILE-----"u8));
        Assert.Equal(plaintext, AgeFile.Decrypt(file, [identity]));
        var error = Assert.Throws<AgeException>(() => AgeFile.Decrypt(file, [AgeX25519Identity.Generate()]));
        Assert.Equal(AgeErrorKind.NoMatch, error.Kind);
    }

    [Fact]
    public async Task AgeKeygenKeyFilesParse()
    {
        var keyFile = Path.Combine(dir, "keygen.txt");
        await Run("age-keygen", "-o", keyFile);
        var text = await File.ReadAllTextAsync(keyFile);
        var publicKey = text.Split('\n').Single(l => l.StartsWith("# public key: ", StringComparison.Ordinal))["# public key: ".Length..];

        var identity = Assert.IsType<AgeX25519Identity>(Assert.Single(AgeKeyFile.ParseIdentities(text)));
        Assert.Equal(publicKey, identity.Recipient.ToString());
        Assert.Equal(text.Split('\n')[2], identity.Encode());

        // age-keygen -y derives the same recipient from the same key.
        var derived = await Run("age-keygen", "-y", keyFile);
        Assert.Equal(publicKey, derived.Trim());

        // And a file encrypted to the parsed recipient opens with the CLI using the keygen file.
        var encrypted = Write("to-keygen.age", AgeFile.Encrypt("hello"u8, [AgeX25519Recipient.Parse(publicKey)]));
        var output = Path.Combine(dir, "hello.txt");
        await Run("age", "-d", "-i", keyFile, "-o", output, encrypted);
        Assert.Equal("hello", await File.ReadAllTextAsync(output));
    }

    [Fact]
    public async Task FormattedKeyFileLooksLikeAgeKeygenAndTheCliDerivesTheSameRecipient()
    {
        var identity = AgeX25519Identity.Generate();
        var keyFile = Write("formatted.txt", AgeKeyFile.Format(identity, DateTimeOffset.UtcNow));
        Assert.Equal(identity.Recipient.ToString(), (await Run("age-keygen", "-y", keyFile)).Trim());
    }

    private string Write(string name, byte[] content)
    {
        var path = Path.Combine(dir, name);
        File.WriteAllBytes(path, content);
        return path;
    }

    private string Write(string name, string content) => Write(name, Encoding.UTF8.GetBytes(content));

    private static async Task<string> Run(string program, params string[] args)
    {
        var result = await CliWrap.Cli.Wrap(program).WithArguments(args).WithValidation(CommandResultValidation.None).ExecuteBufferedAsync();
        Assert.True(result.ExitCode == 0, $"{program} failed ({result.ExitCode}): {result.StandardError}");
        return result.StandardOutput;
    }
}
