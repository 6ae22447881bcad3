using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using RunbookHost.Keys.Age;

namespace RunbookHost.Tests.Keys.Age;

/// <summary>
/// Runs the C2SP/CCTV age test kit (tests/fixtures/age-testkit) against AgeFile.
/// Unsupported on purpose, and asserted to be refused as "unsupported" (not skipped): every vector using
/// the post-quantum ML-KEM-768+X25519 hybrid identity (AGE-SECRET-KEY-PQ-1...): armor_hybrid, hybrid,
/// hybrid_and_x25519, hybrid_currupted_enc_mlkem, hybrid_currupted_enc_x25519, hybrid_grease,
/// hybrid_identity, hybrid_long_share, hybrid_low_order, hybrid_no_match, hybrid_not_canonical_body,
/// hybrid_short_share, hybrid_uppercase (and any held-back hybrid vector).
/// </summary>
public class AgeTestkitTests
{
    private static readonly HashSet<string> KnownKeys = ["expect", "payload", "identity", "passphrase", "armored", "compressed", "file key", "comment"];

    public static IEnumerable<object[]> Vectors() =>
        Directory.GetFiles(AgeFixtures.Testkit).Select(Path.GetFileName).OfType<string>()
            .Where(file => !file.EndsWith(".md", StringComparison.Ordinal) && !file.StartsWith('.'))
            .Order(StringComparer.Ordinal)
            .Select(file => new object[] { file });

    [Fact]
    public void TheFixturesFolderHoldsTheVectors() => Assert.True(Vectors().Count() > 50);

    [Theory]
    [MemberData(nameof(Vectors))]
    public void Vector(string name)
    {
        var vector = TestVector.Load(Path.Combine(AgeFixtures.Testkit, name));
        if (vector.UnknownKeys.Count > 0)
        {
            // The testkit README says files with unknown keys are to be ignored.
            return;
        }

        var hybrid = vector.Identities.Any(i => i.StartsWith("AGE-SECRET-KEY-PQ-1", StringComparison.Ordinal));
        var expected = hybrid ? "unsupported" : vector.Expect;
        var (outcome, released) = Run(vector);
        Assert.Equal(expected, outcome);
        if (hybrid)
        {
            Assert.StartsWith("hybrid", name.Replace("armor_hybrid", "hybrid", StringComparison.Ordinal), StringComparison.Ordinal);
        }

        if (vector.Payload is not null && outcome is "success" or "payload failure")
        {
            Assert.Equal(vector.Payload, Convert.ToHexStringLower(SHA256.HashData(released)));
        }

        if (outcome == "success")
        {
            // The all-or-nothing API agrees with the streaming one.
            Assert.Equal(released, AgeFile.Decrypt(vector.Body, Identities(vector)));
        }
    }

    private static List<IAgeIdentity> Identities(TestVector vector)
    {
        var identities = new List<IAgeIdentity>();
        if (vector.Identities.Count > 0)
        {
            identities.AddRange(AgeKeyFile.ParseIdentities(string.Join("\n", vector.Identities)));
        }

        identities.AddRange(vector.Passphrases.Select(p => new AgeScryptIdentity(p)));
        if (identities.Count == 0)
        {
            // Vectors for files that fail before any identity is tried list none; AgeFile requires one.
            identities.Add(AgeX25519Identity.Generate());
        }

        return identities;
    }

    private static (string Outcome, byte[] Released) Run(TestVector vector)
    {
        List<IAgeIdentity> identities;
        try
        {
            identities = Identities(vector);
        }
        catch (AgeException e) when (e.Kind == AgeErrorKind.Unsupported)
        {
            Assert.Contains("not supported", e.Message, StringComparison.Ordinal);
            return ("unsupported", []);
        }

        using var output = new MemoryStream();
        try
        {
            AgeFile.Decrypt(new MemoryStream(vector.Body), output, identities);
            return ("success", output.ToArray());
        }
        catch (AgeException e)
        {
            Assert.DoesNotContain("\n", e.Message, StringComparison.Ordinal);
            var outcome = e.Kind switch
            {
                AgeErrorKind.HeaderFailure => "header failure",
                AgeErrorKind.HmacFailure => "HMAC failure",
                AgeErrorKind.ArmorFailure => "armor failure",
                AgeErrorKind.PayloadFailure => "payload failure",
                AgeErrorKind.NoMatch => "no match",
                _ => "other: " + e.Kind,
            };
            return (outcome, output.ToArray());
        }
    }

    private sealed class TestVector
    {
        public string Expect { get; private set; } = "";

        public string? Payload { get; private set; }

        public List<string> Identities { get; } = [];

        public List<string> Passphrases { get; } = [];

        public List<string> UnknownKeys { get; } = [];

        public byte[] Body { get; private set; } = [];

        public static TestVector Load(string path)
        {
            var bytes = File.ReadAllBytes(path);
            var vector = new TestVector();
            var pos = 0;
            var compressed = false;
            while (true)
            {
                var nl = Array.IndexOf(bytes, (byte)'\n', pos);
                Assert.True(nl >= 0, "vector header is not terminated by a blank line");
                var line = Encoding.UTF8.GetString(bytes, pos, nl - pos);
                pos = nl + 1;
                if (line.Length == 0)
                {
                    break;
                }

                var colon = line.IndexOf(": ", StringComparison.Ordinal);
                Assert.True(colon > 0, "malformed vector header line");
                var (key, value) = (line[..colon], line[(colon + 2)..]);
                switch (key)
                {
                    case "expect": vector.Expect = value; break;
                    case "payload": vector.Payload = value; break;
                    case "identity": vector.Identities.Add(value); break;
                    case "passphrase": vector.Passphrases.Add(value); break;
                    case "compressed": Assert.Equal("zlib", value); compressed = true; break;
                    default:
                        if (!KnownKeys.Contains(key))
                        {
                            vector.UnknownKeys.Add(key);
                        }

                        break;
                }
            }

            vector.Body = bytes[pos..];
            if (compressed)
            {
                using var z = new ZLibStream(new MemoryStream(vector.Body), CompressionMode.Decompress);
                using var ms = new MemoryStream();
                z.CopyTo(ms);
                vector.Body = ms.ToArray();
            }

            return vector;
        }
    }
}
