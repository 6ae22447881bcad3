using RunbookHost.Keys;
using RunbookHost.Keys.Age;
using RunbookHost.Keys.Sops;
using RunbookHost.Tests.Support;
using SopsApi = RunbookHost.Keys.Sops.Sops;

namespace RunbookHost.Tests.Keys.KeyRing;

public sealed class AgeSopsKeyServiceTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("age-sops-").FullName;
    private readonly FixedClock clock = new(KeyRingTestEnvironment.Start);

    public void Dispose() => Directory.Delete(folder, recursive: true);

    [Fact]
    public void AFileWeWrapForARecipientIsOpenedByTheRealAgeCli()
    {
        var (identityFile, recipient) = AgeCliKeyService.NewIdentity(folder);
        var file = SopsApi.EncryptDictionary([new("k", "v")], SopsFormat.Yaml, new SopsEncryptOptions { AgeRecipients = [recipient] }, new AgeSopsKeyService(), clock);

        var values = SopsApi.DecryptToDictionary(file, SopsFormat.Yaml, new AgeCliKeyService(identityFile));

        Assert.Equal("v", values["k"]);
    }

    [Fact]
    public void AFileTheRealAgeCliWrapsIsOpenedWithOurIdentity()
    {
        var (identityFile, recipient) = AgeCliKeyService.NewIdentity(folder);
        var file = SopsApi.EncryptDictionary([new("k", "v")], SopsFormat.Yaml, new SopsEncryptOptions { AgeRecipients = [recipient] }, new AgeCliKeyService(), clock);

        var values = SopsApi.DecryptToDictionary(file, SopsFormat.Yaml, AgeSopsKeyService.FromKeyFile(identityFile));

        Assert.Equal("v", values["k"]);
    }

    [Fact]
    public void UnwrapWithoutAMatchingIdentitySaysNoUsableKey()
    {
        var recipient = AgeX25519Identity.Generate().Recipient.ToString();
        var file = SopsApi.EncryptDictionary([new("k", "v")], SopsFormat.Yaml, new SopsEncryptOptions { AgeRecipients = [recipient] }, new AgeSopsKeyService(), clock);

        var error = Assert.Throws<SopsException>(() => SopsApi.DecryptToDictionary(file, SopsFormat.Yaml, new AgeSopsKeyService(AgeX25519Identity.Generate())));

        Assert.Contains("no usable key", error.Message);
    }

    [Fact]
    public void WrapRejectsAMalformedRecipientWithASopsError()
    {
        Assert.Throws<SopsException>(() => new AgeSopsKeyService().Wrap(new byte[32], ["age1notarecipient"]));
    }
}
