using System.Text.RegularExpressions;
using CliWrap.Buffered;

namespace RunbookHost.Tests.Evidence;

/// <summary>The openssl + jq recipe in docs/evidence.md works on real evidence and catches tampering.</summary>
public sealed class DocsRecipeTests : IDisposable
{
    private readonly EvidenceTestEnvironment _env = new();

    public void Dispose() => _env.Dispose();

    private static string Recipe(string name = "verify-all")
    {
        var folder = AppContext.BaseDirectory;
        while (folder is not null && !File.Exists(Path.Combine(folder, "docs", "evidence.md")))
            folder = Path.GetDirectoryName(folder);
        Assert.NotNull(folder);
        var docs = File.ReadAllText(Path.Combine(folder, "docs", "evidence.md"));
        var match = Regex.Match(docs, $@"<!-- recipe:{name} -->\s*```sh\n(.*?)```", RegexOptions.Singleline);
        Assert.True(match.Success, $"docs/evidence.md has no recipe:{name} block");
        return match.Groups[1].Value;
    }

    private async Task<BufferedCommandResult> RunRecipe(string name = "verify-all", string heads = "") =>
        await CliWrap.Cli.Wrap("sh")
            .WithArguments(["-c", Recipe(name)])
            .WithWorkingDirectory(_env.Root)
            .WithEnvironmentVariables(e => e.Set("evidence", _env.EvidenceRoot).Set("pub", _env.PublicKeyPath).Set("heads", heads))
            .WithValidation(CliWrap.CommandResultValidation.None)
            .ExecuteBufferedAsync();

    [Fact]
    public async Task TheOpensslRecipeVerifiesGoodEvidence()
    {
        _env.WriteChain(3);
        _env.WriteChain(2, "globex");
        var result = await RunRecipe();
        Assert.True(result.ExitCode == 0, result.StandardOutput + result.StandardError);
        Assert.Equal(5, Regex.Matches(result.StandardOutput, "^ok ", RegexOptions.Multiline).Count);
        Assert.Contains("ALL VERIFIED", result.StandardOutput);
    }

    [Fact]
    public async Task TheOpensslRecipeCatchesARemovedFileAndABadSignature()
    {
        var chain = _env.WriteChain(4);
        File.Delete(chain[1]);
        var text = File.ReadAllText(chain[3]);
        var sig = text.IndexOf("\"sig\":\"", StringComparison.Ordinal) + 10;
        File.WriteAllText(chain[3], text[..sig] + (text[sig] == 'A' ? 'B' : 'A') + text[(sig + 1)..]);

        var result = await RunRecipe();
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains($"FAIL  {chain[2]}: chain broken", result.StandardOutput);
        Assert.Contains($"FAIL  {chain[3]}: bad signature", result.StandardOutput);
        Assert.Contains($"ok    {chain[0]}", result.StandardOutput);
    }

    [Fact]
    public async Task TheOpensslRecipeCatchesAHighSSignature()
    {
        var chain = _env.WriteChain(2);
        var text = File.ReadAllText(chain[0]);
        var sig = System.Text.Json.JsonDocument.Parse(text).RootElement.GetProperty("signatures")[0].GetProperty("sig").GetString()!;
        File.WriteAllText(chain[0], text.Replace(sig, Convert.ToBase64String(RunbookHost.Evidence.EcdsaLowS.Flip(Convert.FromBase64String(sig)))));

        var result = await RunRecipe();
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains($"FAIL  {chain[0]}: signature not canonical (high S)", result.StandardOutput);
        Assert.Contains($"FAIL  {chain[1]}: chain broken", result.StandardOutput); // it links to the file's original bytes
    }

    [Fact]
    public async Task TheHeadsRecipeCatchesACutChain()
    {
        var chain = _env.WriteChain(3);
        _env.WriteChain(1, "globex");
        var heads = Path.Combine(_env.Root, "heads.json");
        File.WriteAllBytes(heads, RunbookHost.Evidence.ChainHead.SignPublished(
            [_env.Writer.CurrentHead("acme")!, _env.Writer.CurrentHead("globex")!], EvidenceTestEnvironment.T0, _env.Signer));

        var good = await RunRecipe("verify-heads", heads);
        Assert.True(good.ExitCode == 0, good.StandardOutput + good.StandardError);
        Assert.Contains("ok    acme: sequence 3 is acme/" + Path.GetFileName(chain[2]), good.StandardOutput);

        File.Delete(chain[2]);
        Directory.Delete(Path.Combine(_env.EvidenceRoot, "globex"), recursive: true);
        var cut = await RunRecipe("verify-heads", heads);
        Assert.NotEqual(0, cut.ExitCode);
        Assert.Contains($"FAIL  acme: acme/{Path.GetFileName(chain[2])} is gone or changed", cut.StandardOutput);
        Assert.Contains("FAIL  globex: folder missing", cut.StandardOutput);
    }

    [Fact]
    public async Task TheOneFileRecipePrintsVerifiedOk()
    {
        var path = _env.Writer.Write(EvidenceTestEnvironment.Record(EvidenceTestEnvironment.T0));
        var script = Regex.Replace(Recipe("verify-file"), "^f=.*$", $"f='{path}'", RegexOptions.Multiline);
        script = Regex.Replace(script, "^pub=.*$", $"pub='{_env.PublicKeyPath}'", RegexOptions.Multiline);
        var result = await CliWrap.Cli.Wrap("sh")
            .WithArguments(["-c", "set -e\n" + script])
            .WithWorkingDirectory(_env.Root)
            .WithValidation(CliWrap.CommandResultValidation.None)
            .ExecuteBufferedAsync();
        Assert.True(result.ExitCode == 0, result.StandardOutput + result.StandardError);
        Assert.Contains(_env.Signer.KeyId + "\n", result.StandardOutput);
        Assert.Contains("Verified OK", result.StandardOutput);
        Assert.Contains("\"_type\": \"https://in-toto.io/Statement/v1\"", result.StandardOutput);
    }
}
