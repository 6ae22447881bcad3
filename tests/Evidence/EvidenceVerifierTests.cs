using System.Text;
using System.Text.Json;
using RunbookHost.Evidence;
using static RunbookHost.Tests.Evidence.EvidenceTestEnvironment;

namespace RunbookHost.Tests.Evidence;

public sealed class EvidenceVerifierTests : IDisposable
{
    private readonly EvidenceTestEnvironment _env = new();

    public void Dispose() => _env.Dispose();

    private static EvidenceFileResult For(IEnumerable<EvidenceFileResult> results, string path) =>
        Assert.Single(results, r => r.Path == path);

    [Fact]
    public void AWrittenFileVerifies()
    {
        var path = _env.Writer.Write(Record(T0));
        var result = Assert.Single(_env.Files(path));
        Assert.True(result.Ok, result.Reason);
        Assert.Equal(path, result.Path);
        Assert.Equal("ok", result.Reason);
    }

    [Fact]
    public void TheEvidenceRootVerifiesEveryTenantFolder()
    {
        _env.WriteChain(3);
        _env.WriteChain(2, "globex");
        var results = _env.Files(_env.EvidenceRoot);
        Assert.Equal(5, results.Count);
        Assert.All(results, r => Assert.True(r.Ok, r.Reason));
        Assert.Equal(3, _env.Files(Path.Combine(_env.EvidenceRoot, "acme")).Count(r => r.Ok));
    }

    [Fact]
    public void AChangedByteAnywhereInTheFileIsDetected()
    {
        var path = _env.Writer.Write(Record(T0));
        var original = File.ReadAllBytes(path);
        for (var i = 0; i < original.Length; i++)
        {
            var tampered = (byte[])original.Clone();
            tampered[i] = (byte)(tampered[i] ^ 0x01);
            File.WriteAllBytes(path, tampered);
            var result = Assert.Single(_env.Files(path));
            Assert.False(result.Ok, $"byte {i} ('{(char)original[i]}') changed but the file still verified");
        }
    }

    [Fact]
    public void AChangedPayloadFailsTheSignature()
    {
        var path = _env.Writer.Write(Record(T0));
        Rewrite(path, (payload, sig) => (payload.Replace("\"overall_pass\":true", "\"overall_pass\":false"), sig));
        var result = Assert.Single(_env.Files(path));
        Assert.False(result.Ok);
        Assert.Contains("signature does not verify", result.Reason);
    }

    [Fact]
    public void AChangedSignatureFails()
    {
        var path = _env.Writer.Write(Record(T0));
        // A well-formed signature by the right key, but over other bytes.
        Rewrite(path, (payload, _) => (payload, _env.Signer.Sign("something else"u8)));
        var result = Assert.Single(_env.Files(path));
        Assert.False(result.Ok);
        Assert.Contains("signature does not verify", result.Reason);
    }

    [Fact]
    public void AFileSignedByAnotherKeyFails()
    {
        var path = _env.Writer.Write(Record(T0));
        using var other = new EvidenceTestEnvironment();

        var explicitKey = Assert.Single(_env.Files(path, other.PublicKeyPath));
        Assert.False(explicitKey.Ok);
        Assert.Contains("untrusted-key: signed by key " + _env.Signer.KeyId, explicitKey.Reason);

        // An attacker re-signs with their own key but keeps the published public key: caught.
        var forged = other.Writer.Write(Record(T0.AddMinutes(1), tenant: "globex"));
        File.Copy(forged, Path.Combine(_env.EvidenceRoot, "acme", Path.GetFileName(forged)));
        var results = _env.Files(_env.EvidenceRoot);
        Assert.Contains(results, r => !r.Ok && r.Reason.Contains("untrusted-key: signed by key " + other.Signer.KeyId));
    }

    [Fact]
    public void AFileRemovedFromTheMiddleOfTheChainIsDetected()
    {
        var chain = _env.WriteChain(4);
        File.Delete(chain[1]);

        var results = _env.Files(_env.EvidenceRoot);
        Assert.True(For(results, chain[0]).Ok);
        var broken = For(results, chain[2]);
        Assert.False(broken.Ok);
        Assert.Contains("is not in the folder", broken.Reason);
        Assert.True(For(results, chain[3]).Ok);
    }

    [Fact]
    public void TheFirstFileRemovedIsDetected()
    {
        var chain = _env.WriteChain(3);
        File.Delete(chain[0]);
        var result = For(_env.Files(_env.EvidenceRoot), chain[1]);
        Assert.False(result.Ok);
        Assert.Contains("first file", result.Reason);
    }

    [Fact]
    public void TwoFilesWithSwappedNamesAreDetected()
    {
        var chain = _env.WriteChain(3);
        var temp = chain[0] + ".swap";
        File.Move(chain[0], temp);
        File.Move(chain[1], chain[0]);
        File.Move(temp, chain[1]);

        var results = _env.Files(_env.EvidenceRoot);
        Assert.False(For(results, chain[0]).Ok);
        Assert.False(For(results, chain[1]).Ok);
        Assert.Contains("file name does not match", For(results, chain[0]).Reason);
    }

    [Fact]
    public void TwoFilesReorderedInTimeAreDetected()
    {
        // Re-sign a swapped pair with the real key (an insider with the key but not the whole chain):
        // their started_at no longer matches their links.
        var chain = _env.WriteChain(3);
        var firstPayload = Encoding.UTF8.GetString(Convert.FromBase64String(Envelope(chain[0]).Payload));
        var secondPayload = Encoding.UTF8.GetString(Convert.FromBase64String(Envelope(chain[1]).Payload));
        string Started(string payload) => JsonDocument.Parse(payload).RootElement.GetProperty("predicate").GetProperty("started_at").GetString()!;
        var (a, b) = (Started(firstPayload), Started(secondPayload));
        Rewrite(chain[0], (p, _) => Resign(p.Replace(a, b)));
        Rewrite(chain[1], (p, _) => Resign(p.Replace(b, a)));
        File.Move(chain[0], chain[0] + ".x");
        File.Move(chain[1], chain[0]);
        File.Move(chain[0] + ".x", chain[1]);

        var results = _env.Files(_env.EvidenceRoot);
        Assert.Contains(results, r => !r.Ok && r.Reason.Contains("chain:"));
    }

    [Fact]
    public void AChainLinkToAMissingFileIsDetected()
    {
        var chain = _env.WriteChain(2);
        Rewrite(chain[1], (payload, _) => Resign(payload.Replace(Sha256Hex(chain[0]), new string('b', 64))));
        var result = For(_env.Files(_env.EvidenceRoot), chain[1]);
        Assert.False(result.Ok);
        Assert.Contains("is not in the folder", result.Reason);
    }

    [Fact]
    public void ATamperedEarlierFileBreaksTheNextLinkToo()
    {
        var chain = _env.WriteChain(3);
        Rewrite(chain[0], (payload, _) => Resign(payload.Replace("alice", "mallory")));
        var results = _env.Files(_env.EvidenceRoot);
        Assert.True(For(results, chain[0]).Ok, For(results, chain[0]).Reason); // validly signed (insider with the key)…
        Assert.False(For(results, chain[1]).Ok); // …but the chain no longer matches it
    }

    [Fact]
    public void ASingleFileIsCheckedForItsChainPositionWhenItsSiblingsArePresent()
    {
        var chain = _env.WriteChain(3);
        File.Delete(chain[1]);
        Assert.True(Assert.Single(_env.Files(chain[0])).Ok);
        var third = Assert.Single(_env.Files(chain[2]));
        Assert.False(third.Ok);
        Assert.Contains("chain:", third.Reason);

        // Alone (copied out for an auditor) only signature and form are checked.
        var alone = Path.Combine(_env.Root, "copy");
        Directory.CreateDirectory(alone);
        var copy = Path.Combine(alone, Path.GetFileName(chain[2]));
        File.Copy(chain[2], copy);
        Assert.True(Assert.Single(_env.Files(copy, _env.PublicKeyPath)).Ok);
    }

    [Fact]
    public void AFileMovedToAnotherTenantIsDetected()
    {
        var acme = _env.WriteChain(1);
        _env.WriteChain(1, "globex");
        var moved = Path.Combine(_env.EvidenceRoot, "globex", "20300101T000000.000Z-provision.json");
        File.Move(acme[0], moved);
        Assert.Contains(_env.Files(_env.EvidenceRoot), r => !r.Ok && r.Reason.Contains("wrong-folder: belongs to acme"));
    }

    [Fact]
    public void NothingToVerifyIsAFailure()
    {
        var empty = Path.Combine(_env.Root, "empty");
        Directory.CreateDirectory(empty);
        var report = _env.Verify(empty);
        Assert.False(report.Ok);
        Assert.Equal(EvidenceProblemKinds.NoEvidence, Assert.Single(report.Problems).Kind);
        Assert.False(_env.Verify(Path.Combine(_env.Root, "missing")).Ok);
    }

    [Fact]
    public void AKeyBesideTheEvidenceIsNeverTrustedByItself()
    {
        var path = _env.Writer.Write(Record(T0));
        Assert.True(File.Exists(_env.PublicKeyPath));
        var result = Assert.Single(EvidenceVerifier.Verify(path, new EvidenceVerifyOptions()).Files);
        Assert.False(result.Ok);
        Assert.Contains("untrusted-key", result.Reason);
    }

    [Fact]
    public void AKeyPinnedByItsIdIsTakenFromTheTreeOnlyWhenItHashesToTheId()
    {
        var path = _env.Writer.Write(Record(T0));
        var pinned = new EvidenceVerifyOptions { TrustedKeys = [new PinnedKey("test", KeyId: _env.Signer.KeyId)] };
        var result = Assert.Single(EvidenceVerifier.Verify(_env.EvidenceRoot, pinned).Files);
        Assert.True(result.Ok, result.Reason);
        Assert.Equal(_env.Signer.KeyId, result.KeyId);

        // Someone swaps every public key in the tree for their own: the pinned id no longer finds a key, nothing verifies.
        using var other = new EvidenceTestEnvironment();
        File.Copy(other.PublicKeyPath, _env.PublicKeyPath, overwrite: true);
        File.Copy(other.PublicKeyPath, Path.Combine(_env.EvidenceRoot, "_keys", _env.Signer.KeyId + ".pub.pem"), overwrite: true);
        var swapped = Assert.Single(EvidenceVerifier.Verify(_env.EvidenceRoot, pinned).Files);
        Assert.False(swapped.Ok);
        Assert.Contains("public key was not found", swapped.Reason);
    }

    [Fact]
    public void AHighSSignatureIsRefusedAlthoughTheMathVerifies()
    {
        var path = _env.Writer.Write(Record(T0));
        Assert.True(Assert.Single(_env.Files(path)).Ok);
        // (r, n - s): the malleated twin, a valid ECDSA signature over the same bytes.
        Rewrite(path, (payload, sig) => (payload, EcdsaLowS.Flip(sig)));
        using var key = EvidenceSigner.LoadPublicKey(_env.PublicKeyPath);
        var (payloadText, sigText, _) = Envelope(path);
        Assert.True(key.VerifyData(DssePae.Encode(EvidenceFormat.PayloadType, Convert.FromBase64String(payloadText)),
            Convert.FromBase64String(sigText), System.Security.Cryptography.HashAlgorithmName.SHA256,
            System.Security.Cryptography.DSASignatureFormat.Rfc3279DerSequence));

        var result = Assert.Single(_env.Files(path));
        Assert.False(result.Ok);
        Assert.Contains("signature not canonical (high S)", result.Reason);
    }

    [Fact]
    public void EverySignatureTheHostMakesIsLowS()
    {
        for (var i = 0; i < 64; i++)
            Assert.Null(EcdsaLowS.Problem(_env.Signer.Sign(BitConverter.GetBytes(i))));
    }

    private byte[] ResignBytes(string payload) => _env.Signer.Sign(DssePae.Encode(EvidenceFormat.PayloadType, Encoding.UTF8.GetBytes(payload)));

    private (string, byte[]) Resign(string payload) => (payload, ResignBytes(payload));

    private static (string Payload, string Sig, string KeyId) Envelope(string path)
    {
        using var document = JsonDocument.Parse(File.ReadAllBytes(path));
        var root = document.RootElement;
        var signature = root.GetProperty("signatures")[0];
        return (root.GetProperty("payload").GetString()!, signature.GetProperty("sig").GetString()!, signature.GetProperty("keyid").GetString()!);
    }

    /// <summary>Rewrites a file in canonical form with a changed payload and/or signature.</summary>
    private static void Rewrite(string path, Func<string, byte[], (string Payload, byte[] Sig)> change)
    {
        var (payload, sig, keyId) = Envelope(path);
        var (newPayload, newSig) = change(Encoding.UTF8.GetString(Convert.FromBase64String(payload)), Convert.FromBase64String(sig));
        var json = $$"""{"payloadType":"application/vnd.in-toto+json","payload":"{{Convert.ToBase64String(Encoding.UTF8.GetBytes(newPayload))}}","signatures":[{"keyid":"{{keyId}}","sig":"{{Convert.ToBase64String(newSig)}}"}]}""" + "\n";
        File.WriteAllText(path, json);
    }
}
