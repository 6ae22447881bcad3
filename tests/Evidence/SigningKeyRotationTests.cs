using RunbookHost.Evidence;
using static RunbookHost.Tests.Evidence.EvidenceTestEnvironment;

namespace RunbookHost.Tests.Evidence;

/// <summary>Rotating the signing key: old keys stay trusted for what they signed before, and an auditor pinned to the old key can follow.</summary>
public sealed class SigningKeyRotationTests : IDisposable
{
    private readonly EvidenceTestEnvironment _env = new();

    public void Dispose() => _env.Dispose();

    private EvidenceKeyRotated Rotate()
    {
        var rotated = EvidenceKeyRotation.Rotate(_env.Secrets, _env.EvidenceRoot, _env.Clock, "scheduled", "alice@host");
        EvidenceKeyRotation.Complete(_env.Secrets);
        return rotated;
    }

    private (EvidenceWriter Writer, EvidenceSigner Signer) NewWriter()
    {
        var signer = EvidenceSigner.LoadOrCreate(_env.Secrets, _env.EvidenceRoot);
        return (new EvidenceWriter(signer, _env.EvidenceRoot, _env.Clock), signer);
    }

    [Fact]
    public void AnAuditorPinnedToTheOldKeyFollowsTheRotationAndEachFileNamesItsKey()
    {
        var old = _env.WriteChain(2);
        _env.Clock.Now = T0.AddMinutes(10);
        var rotated = Rotate();
        var (writer, signer) = NewWriter();
        using (signer)
        {
            Assert.Equal(rotated.NextKeyId, signer.KeyId);
            Assert.NotEqual(rotated.PreviousKeyId, rotated.NextKeyId);
            Assert.Equal(3, writer.Preflight("acme", T0.AddMinutes(11)).Sequence); // the old key's head is still the host's own
            writer.Write(Record(T0.AddMinutes(11)));
        }

        var pinnedOld = Path.Combine(_env.Root, "old.pub.pem");
        File.WriteAllText(pinnedOld, EvidenceKeyFiles.PublicKeyPem(EvidenceSigner.LoadPublicKey(Path.Combine(_env.EvidenceRoot, "_keys", rotated.PreviousKeyId + ".pub.pem"))));
        var report = _env.Verify(_env.EvidenceRoot, pinnedOld);
        Assert.True(report.Ok, string.Join("; ", report.Files.Select(f => f.Reason).Concat(report.Problems.Select(p => p.Reason))));
        Assert.Equal([rotated.PreviousKeyId, rotated.PreviousKeyId, rotated.NextKeyId], report.Files.Select(f => f.KeyId));
        Assert.Contains(report.Mode, m => m.Contains($"{rotated.NextKeyId} (rotation from {rotated.PreviousKeyId[..12]}"));
        Assert.False(File.Exists(Path.Combine(_env.Secrets, "evidence-signing-key.retiring.pem")));
        Assert.Equal(rotated.NextKeyId, EvidenceSigner.ComputeKeyId(EvidenceSigner.LoadPublicKey(_env.PublicKeyPath)));
        Assert.Single(old, p => p == old[0]);
    }

    [Fact]
    public void AFileTheOldKeySignedAfterItsRetirementFails()
    {
        _env.WriteChain(1);
        var pinnedOld = Path.Combine(_env.Root, "old.pub.pem");
        File.Copy(_env.PublicKeyPath, pinnedOld);
        var stolen = Path.Combine(_env.Root, "stolen-secrets");
        Directory.CreateDirectory(stolen);
        File.Copy(Path.Combine(_env.Secrets, EvidenceFormat.PrivateKeyFileName), Path.Combine(stolen, EvidenceFormat.PrivateKeyFileName));
        _env.Clock.Now = T0.AddMinutes(10);
        var rotated = Rotate();

        // Whoever kept a copy of the old key signs a new run after the rotation.
        var elsewhere = Path.Combine(_env.Root, "elsewhere");
        using (var oldSigner = EvidenceSigner.LoadOrCreate(stolen, elsewhere))
            new EvidenceWriter(oldSigner, elsewhere, _env.Clock).Write(Record(T0.AddMinutes(20), tenant: "globex"));
        var forged = Directory.GetFiles(Path.Combine(elsewhere, "globex"), "*.json").Single();
        Directory.CreateDirectory(Path.Combine(_env.EvidenceRoot, "globex"));
        File.Copy(forged, Path.Combine(_env.EvidenceRoot, "globex", Path.GetFileName(forged)));

        var result = Assert.Single(_env.Files(Path.Combine(_env.EvidenceRoot, "globex"), pinnedOld));
        Assert.False(result.Ok);
        Assert.Contains($"retired-key: signed by key {rotated.PreviousKeyId}", result.Reason);
    }

    [Fact]
    public void WithoutTheRotationStatementTheNewKeyIsNotTrustedByAnAuditorPinnedToTheOldOne()
    {
        _env.WriteChain(1);
        var pinnedOld = Path.Combine(_env.Root, "old.pub.pem");
        File.Copy(_env.PublicKeyPath, pinnedOld);
        _env.Clock.Now = T0.AddMinutes(10);
        var rotated = Rotate();
        var (writer, signer) = NewWriter();
        using (signer)
            writer.Write(Record(T0.AddMinutes(11)));
        File.Delete(rotated.StatementPath);

        var report = _env.Verify(_env.EvidenceRoot, pinnedOld);
        Assert.Contains(report.Files, f => !f.Ok && f.Reason.StartsWith("untrusted-key: signed by key " + rotated.NextKeyId, StringComparison.Ordinal));
    }

    [Fact]
    public void ARotationInterruptedRightAfterTheNewKeyBecameCurrentIsFinished()
    {
        var oldPublic = File.ReadAllText(_env.PublicKeyPath);
        var first = EvidenceKeyRotation.Rotate(_env.Secrets, _env.EvidenceRoot, _env.Clock, "scheduled", "alice@host");
        File.Delete(first.StatementPath);                   // as if the process died before the old key signed the statement…
        File.WriteAllText(_env.PublicKeyPath, oldPublic);   // …and before the new public key was published

        var again = EvidenceKeyRotation.Rotate(_env.Secrets, _env.EvidenceRoot, _env.Clock, "scheduled", "alice@host");
        EvidenceKeyRotation.Complete(_env.Secrets);

        Assert.Equal((first.PreviousKeyId, first.NextKeyId), (again.PreviousKeyId, again.NextKeyId));
        Assert.True(File.Exists(again.StatementPath));
        using var signer = EvidenceSigner.LoadOrCreate(_env.Secrets, _env.EvidenceRoot);
        Assert.Equal(first.NextKeyId, signer.KeyId);
    }

    [Fact]
    public void AnInterruptedRotationIsFinishedNotRepeated()
    {
        var first = EvidenceKeyRotation.Rotate(_env.Secrets, _env.EvidenceRoot, _env.Clock, "scheduled", "alice@host");
        _env.Clock.Now = _env.Clock.Now.AddMinutes(1);
        var again = EvidenceKeyRotation.Rotate(_env.Secrets, _env.EvidenceRoot, _env.Clock, "scheduled", "alice@host");
        Assert.Equal(first, again);
        EvidenceKeyRotation.Complete(_env.Secrets);
        var next = EvidenceKeyRotation.Rotate(_env.Secrets, _env.EvidenceRoot, _env.Clock, "scheduled", "alice@host");
        Assert.Equal(first.NextKeyId, next.PreviousKeyId);
    }
}
