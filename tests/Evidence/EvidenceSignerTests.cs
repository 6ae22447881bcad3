using System.Security.Cryptography;
using RunbookHost.Evidence;

namespace RunbookHost.Tests.Evidence;

[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class EvidenceSignerTests : IDisposable
{
    private readonly EvidenceTestEnvironment _env = new();

    public void Dispose() => _env.Dispose();

    private string PrivateKeyPath => Path.Combine(_env.Secrets, EvidenceFormat.PrivateKeyFileName);

    [Fact]
    public void ThePrivateKeyIsAPkcs8PemWithMode0600()
    {
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(PrivateKeyPath));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(_env.Secrets));
        Assert.StartsWith("-----BEGIN PRIVATE KEY-----", File.ReadAllText(PrivateKeyPath));
        Assert.Empty(Directory.GetFiles(_env.Secrets, "*.tmp", SearchOption.AllDirectories));
        Assert.Empty(Directory.GetFiles(_env.Secrets, ".*"));
    }

    [Fact]
    public void ThePublicKeyIsPublishedAsSpkiPemAndTheKeyIdIsItsDerSha256()
    {
        var pem = File.ReadAllText(_env.PublicKeyPath);
        Assert.StartsWith("-----BEGIN PUBLIC KEY-----", pem);
        using var key = ECDsa.Create();
        key.ImportFromPem(pem);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(key.ExportSubjectPublicKeyInfo())), _env.Signer.KeyId);
        Assert.Equal(256, key.KeySize);
    }

    [Fact]
    public void LoadingAgainReusesTheKey()
    {
        using var again = EvidenceSigner.LoadOrCreate(_env.Secrets, _env.EvidenceRoot);
        Assert.Equal(_env.Signer.KeyId, again.KeyId);
    }

    [Fact]
    public void RacingCreatorsEndWithOneKey()
    {
        var secrets = Path.Combine(_env.Root, "race-secrets");
        var evidence = Path.Combine(_env.Root, "race-evidence");
        var ids = new string[16];
        Parallel.For(0, ids.Length, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i =>
        {
            using var signer = EvidenceSigner.LoadOrCreate(secrets, evidence);
            ids[i] = signer.KeyId;
        });
        Assert.Single(ids.Distinct());
        Assert.Equal([EvidenceFormat.PrivateKeyFileName], Directory.GetFiles(secrets).Select(Path.GetFileName));
        Assert.Equal([EvidenceFormat.PublicKeyFileName], Directory.GetFiles(evidence).Select(Path.GetFileName));
    }

    [Fact]
    public void AKeyFileReadableByOthersIsRefused()
    {
        File.SetUnixFileMode(PrivateKeyPath, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.OtherRead);
        var error = Assert.Throws<CryptographicException>(() => EvidenceSigner.LoadOrCreate(_env.Secrets, _env.EvidenceRoot));
        Assert.Contains("0600", error.Message);
    }

    [Fact]
    public void APublishedKeyOfAnotherSignerIsRefused()
    {
        using var other = new EvidenceTestEnvironment();
        File.Copy(other.PublicKeyPath, _env.PublicKeyPath, overwrite: true);
        Assert.Throws<CryptographicException>(() => EvidenceSigner.LoadOrCreate(_env.Secrets, _env.EvidenceRoot));
    }
}
