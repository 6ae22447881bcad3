using System.Text.Json;
using CliWrap;
using CliWrap.Buffered;
using RunbookHost.Evidence;
using static RunbookHost.Tests.Evidence.EvidenceTestEnvironment;

namespace RunbookHost.Tests.Evidence;

/// <summary>An auditor without runbook-host can verify evidence with openssl alone.</summary>
public sealed class OpensslInteropTests : IDisposable
{
    private readonly EvidenceTestEnvironment _env = new();

    public void Dispose() => _env.Dispose();

    [Fact]
    public async Task OpensslVerifiesTheSignatureOverThePae()
    {
        var path = _env.Writer.Write(Record(T0));
        using var envelope = JsonDocument.Parse(File.ReadAllBytes(path));
        var root = envelope.RootElement;
        var pae = DssePae.Encode(root.GetProperty("payloadType").GetString()!,
            Convert.FromBase64String(root.GetProperty("payload").GetString()!));
        var paePath = Path.Combine(_env.Root, "pae.bin");
        var sigPath = Path.Combine(_env.Root, "sig.der");
        await File.WriteAllBytesAsync(paePath, pae);
        await File.WriteAllBytesAsync(sigPath, Convert.FromBase64String(root.GetProperty("signatures")[0].GetProperty("sig").GetString()!));

        var result = await CliWrap.Cli.Wrap("openssl")
            .WithArguments(["dgst", "-sha256", "-verify", _env.PublicKeyPath, "-signature", sigPath, paePath])
            .WithValidation(CommandResultValidation.None)
            .ExecuteBufferedAsync();

        Assert.True(result.ExitCode == 0, result.StandardError);
        Assert.Equal("Verified OK", result.StandardOutput.Trim());

        pae[^2] ^= 1;
        await File.WriteAllBytesAsync(paePath, pae);
        var tampered = await CliWrap.Cli.Wrap("openssl")
            .WithArguments(["dgst", "-sha256", "-verify", _env.PublicKeyPath, "-signature", sigPath, paePath])
            .WithValidation(CommandResultValidation.None)
            .ExecuteBufferedAsync();
        Assert.NotEqual(0, tampered.ExitCode);
    }

    [Fact]
    public async Task OpensslComputesTheSameKeyId()
    {
        var der = Path.Combine(_env.Root, "pub.der");
        await CliWrap.Cli.Wrap("openssl").WithArguments(["pkey", "-pubin", "-in", _env.PublicKeyPath, "-outform", "DER", "-out", der]).ExecuteAsync();
        Assert.Equal(_env.Signer.KeyId, Sha256Hex(der));
    }
}
