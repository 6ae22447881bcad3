using System.Text;
using RunbookHost.Keys.Age;

namespace RunbookHost.Tests.Keys.Age;

public class AgeUnitTests
{
    // The testkit's fixed identity and its recipient (derived by age-keygen -y).
    private const string TestIdentity = "AGE-SECRET-KEY-1EGTZVFFV20835NWYV6270LXYVK2VKNX2MMDKWYKLMGR48UAWX40Q2P2LM0";

    [Fact]
    public void IdentityRoundTripsThroughBech32()
    {
        var identity = AgeX25519Identity.Parse(TestIdentity);
        Assert.Equal(TestIdentity, identity.Encode());
        var recipient = identity.Recipient.ToString();
        Assert.StartsWith("age1", recipient, StringComparison.Ordinal);
        Assert.Equal(recipient, AgeX25519Recipient.Parse(recipient).ToString());
        Assert.DoesNotContain("SECRET", identity.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void GeneratedIdentitiesRoundTrip()
    {
        var identity = AgeX25519Identity.Generate();
        var parsed = AgeX25519Identity.Parse(identity.Encode());
        Assert.Equal(identity.Recipient.ToString(), parsed.Recipient.ToString());
    }

    [Theory]
    [InlineData("")]
    [InlineData("AGE-SECRET-KEY-1EGTZVFFV20835NWYV6270LXYVK2VKNX2MMDKWYKLMGR48UAWX40Q2P2LM1")] // checksum
    [InlineData("age-secret-key-1egtzvffv20835nwyv6270lxyvk2vknx2mmdkwyklmgr48uawx40q2p2lm0")] // must be uppercase
    [InlineData("AGE-SECRET-KEY-1EGTZVFFV20835NWYV6270LXYVK2VKNX2MMDKWYKLMGR48UAWX40Q2P2lM0")] // mixed case
    [InlineData("AGE-SECRET-KEY-1QQQQQQQQQ")]
    [InlineData(" AGE-SECRET-KEY-1EGTZVFFV20835NWYV6270LXYVK2VKNX2MMDKWYKLMGR48UAWX40Q2P2LM0")]
    public void MalformedIdentitiesAreRejectedWithoutEchoingThem(string encoded)
    {
        var error = Assert.Throws<AgeException>(() => AgeX25519Identity.Parse(encoded));
        Assert.Equal(AgeErrorKind.InvalidKey, error.Kind);
        Assert.DoesNotContain("EGTZ", error.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void RecipientCaseAndPrefixRulesAreEnforced()
    {
        var recipient = AgeX25519Identity.Parse(TestIdentity).Recipient.ToString();
        Assert.Equal(AgeErrorKind.InvalidKey, Assert.Throws<AgeException>(() => AgeX25519Recipient.Parse(recipient.ToUpperInvariant())).Kind);
        Assert.Equal(AgeErrorKind.InvalidKey, Assert.Throws<AgeException>(() => AgeX25519Recipient.Parse(recipient[..^1] + (recipient[^1] == 'q' ? 'p' : 'q'))).Kind);
        Assert.Equal(AgeErrorKind.Unsupported, Assert.Throws<AgeException>(() => AgeX25519Recipient.Parse("ssh-ed25519 AAAAC3Nza")).Kind);
    }

    [Fact]
    public void PostQuantumAndPluginIdentitiesAreRefusedAsUnsupported()
    {
        var pq = Assert.Throws<AgeException>(() => AgeKeyFile.ParseIdentities("AGE-SECRET-KEY-PQ-1HZLGZUPT4ETPKDEV8HSGFDCYZ4E522W0A7PU2LHT8EH9W6YLNC3SW78XKG\n"));
        Assert.Equal(AgeErrorKind.Unsupported, pq.Kind);
        Assert.DoesNotContain("HZLG", pq.Message, StringComparison.Ordinal);
        Assert.Equal(AgeErrorKind.Unsupported, Assert.Throws<AgeException>(() => AgeX25519Identity.Parse("AGE-PLUGIN-YUBIKEY-1XYZ")).Kind);
    }

    [Fact]
    public void KeyFileFormatMatchesAgeKeygen()
    {
        var identity = AgeX25519Identity.Parse(TestIdentity);
        var utc = AgeKeyFile.Format(identity, new DateTimeOffset(2026, 1, 2, 3, 4, 5, 678, TimeSpan.Zero));
        Assert.Equal($"# created: 2026-01-02T03:04:05Z\n# public key: {identity.Recipient}\n{TestIdentity}\n", utc);
        var local = AgeKeyFile.Format(identity, new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.FromHours(-5.5)));
        Assert.StartsWith("# created: 2026-01-02T03:04:05-05:30\n", local, StringComparison.Ordinal);
    }

    [Fact]
    public void KeyFileParsingIgnoresCommentsBlankLinesAndCrlf()
    {
        var other = AgeX25519Identity.Generate();
        var text = $"# a comment\r\n\r\n{TestIdentity}\r\n# another\n{other.Encode()}\n";
        var identities = AgeKeyFile.ParseIdentities(text);
        Assert.Equal(2, identities.Count);
        Assert.Equal(other.Recipient.ToString(), ((AgeX25519Identity)identities[1]).Recipient.ToString());
        Assert.Equal(AgeErrorKind.InvalidKey, Assert.Throws<AgeException>(() => AgeKeyFile.ParseIdentities("# only comments\n")).Kind);
        var bad = Assert.Throws<AgeException>(() => AgeKeyFile.ParseIdentities($"{TestIdentity}\nnot-a-key-SECRETSTUFF\n"));
        Assert.Contains("line 2", bad.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("SECRETSTUFF", bad.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0, false)]
    [InlineData(47, true)]
    [InlineData(48, true)]
    [InlineData(65535, false)]
    [InlineData(65536, true)]
    [InlineData(65537, false)]
    [InlineData(3 * 65536, true)]
    public void EncryptDecryptRoundTrip(int size, bool armor)
    {
        var identity = AgeX25519Identity.Generate();
        var plaintext = new byte[size];
        Random.Shared.NextBytes(plaintext);
        var file = AgeFile.Encrypt(plaintext, [AgeX25519Identity.Generate().Recipient, identity.Recipient], armor);
        Assert.Equal(plaintext, AgeFile.Decrypt(file, [identity]));
        if (armor)
        {
            var lines = Encoding.ASCII.GetString(file).Split('\n');
            Assert.Equal("-----BEGIN AGE ENCRYPTED FILE-----", lines[0]);
            Assert.Equal("-----END AGE ENCRYPTED FILE-----", lines[^2]);
            Assert.Equal("", lines[^1]);
            Assert.All(lines[1..^3], l => Assert.Equal(64, l.Length));
            Assert.InRange(lines[^3].Length, 1, 64);
        }
    }

    [Fact]
    public void AStreamWithATamperedHeaderReleasesNothing()
    {
        var identity = AgeX25519Identity.Generate();
        var file = AgeFile.Encrypt(new byte[100_000], [identity.Recipient]);
        // Flip one character of the ephemeral share's base64 (still canonical): the MAC or unwrap must fail.
        var text = file.AsSpan();
        var idx = text.IndexOf("X25519 "u8) + 8;
        file[idx] = file[idx] == (byte)'A' ? (byte)'B' : (byte)'A';
        using var output = new MemoryStream();
        var error = Assert.Throws<AgeException>(() => AgeFile.Decrypt(new MemoryStream(file), output, [identity]));
        Assert.Contains(error.Kind, new[] { AgeErrorKind.NoMatch, AgeErrorKind.HeaderFailure });
        Assert.Equal(0, output.Length);
    }

    [Fact]
    public void AMacMismatchReleasesNothing()
    {
        var identity = AgeX25519Identity.Generate();
        var file = AgeFile.Encrypt(new byte[10], [identity.Recipient]);
        // Add a grease stanza: still parses, file key still unwraps, but the MAC no longer matches.
        var header = "age-encryption.org/v1\n"u8.ToArray();
        byte[] tampered = [.. header, .. "-> grease\n\n"u8.ToArray(), .. file.AsSpan(header.Length).ToArray()];
        using var output = new MemoryStream();
        var error = Assert.Throws<AgeException>(() => AgeFile.Decrypt(new MemoryStream(tampered), output, [identity]));
        Assert.Equal(AgeErrorKind.HmacFailure, error.Kind);
        Assert.Equal(0, output.Length);
    }

    [Fact]
    public void TruncatedPayloadFailsAndTheSpanApiReleasesNothing()
    {
        var identity = AgeX25519Identity.Generate();
        var plaintext = new byte[3 * 65536];
        Random.Shared.NextBytes(plaintext);
        var file = AgeFile.Encrypt(plaintext, [identity.Recipient]);
        var truncated = file.AsSpan(0, file.Length - 65536 - 16).ToArray();
        var error = Assert.Throws<AgeException>(() => AgeFile.Decrypt(truncated, [identity]));
        Assert.Equal(AgeErrorKind.PayloadFailure, error.Kind);

        // The streaming API released exactly the chunks that verified.
        using var output = new MemoryStream();
        Assert.Throws<AgeException>(() => AgeFile.Decrypt(new MemoryStream(truncated), output, [identity]));
        Assert.Equal(plaintext.AsSpan(0, 2 * 65536).ToArray(), output.ToArray());
    }

    [Fact]
    public void ErrorMessagesNeverContainPlaintextOrKeys()
    {
        var identity = AgeX25519Identity.Generate();
        var file = AgeFile.Encrypt("TOPSECRETPLAINTEXT"u8, [identity.Recipient]);
        file[^1] ^= 1;
        var error = Assert.Throws<AgeException>(() => AgeFile.Decrypt(file, [identity]));
        Assert.DoesNotContain("TOPSECRET", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(identity.Encode(), error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("\n", error.Message, StringComparison.Ordinal);
    }
}
