using System.Text.Json.Nodes;
using RunbookHost.Cli.Scripting;

namespace RunbookHost.Tests.Host;

/// <summary>
/// A writer of the cache folder replaces the reviewed runbook's compiled entry with code of their own. Whatever they
/// put there — another runbook's genuine entry, a bare DLL, an entry sealed by another host, a genuine header over
/// foreign code — it never runs: the host recompiles the reviewed source, replaces the entry and names it in the log.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public class CompileCacheAttackTests
{
    private static readonly string[] Forgeries = ["another runbook's entry", "bare DLL", "sealed by another host", "genuine header, foreign code"];

    [Fact]
    public async Task AForgedCacheEntryNeverRunsAndIsReplacedByTheReviewedCode()
    {
        using var host = new HostProcess();
        host.WriteRunbook("answer.csx", RunbookSources.Answer);
        host.WriteRunbook("marker.csx", RunbookSources.WritesMarker);
        await host.Lock();
        var markerDir = Directory.CreateTempSubdirectory("rbh-marker-").FullName;
        host.Environment["MARKER_DIR"] = markerDir;
        try
        {
            var victim = await CompileOnce(host, "answer");
            var attackerCode = await CompileOnce(host, "marker");
            File.Delete(Path.Combine(markerDir, "pwned")); // the marker runbook itself ran once, legitimately
            foreach (var forgery in Forgeries)
            {
                File.WriteAllBytes(victim, Forge(forgery, victim, attackerCode));
                var run = await host.Run("run", "answer", "--tenant", "acme", "--json");

                Assert.True(run.ExitCode == 0, $"{forgery}: {run.StandardError}");
                Assert.False(File.Exists(Path.Combine(markerDir, "pwned")), $"{forgery}: the forged entry ran");
                var outcome = JsonNode.Parse(run.StandardOutput)!;
                Assert.True(outcome["compiled"]!.GetValue<bool>(), forgery);
                Assert.Equal("hello", outcome["result"]!["greeting"]!.GetValue<string>());
                Assert.Contains($"compile cache entry {victim} is not authentic", run.StandardError);
            }
            var logFile = string.Concat(Directory.GetFiles(host.LogsDir).Select(File.ReadAllText));
            Assert.Contains("is not authentic", logFile);
            Assert.Contains($"\"Entry\":\"{victim}\"", logFile);

            var again = JsonNode.Parse((await host.Run("run", "answer", "--tenant", "acme", "--json")).StandardOutput)!;
            Assert.False(again["compiled"]!.GetValue<bool>()); // the replaced entry is this host's own again
            Assert.False(again["compiler_loaded"]!.GetValue<bool>());
        }
        finally
        {
            Directory.Delete(markerDir, recursive: true);
        }
    }

    [Theory]
    [InlineData("644")]
    [InlineData("640")]
    public async Task ACompileCacheKeyOthersCanReadIsRefused(string mode)
    {
        using var host = new HostProcess();
        host.WriteRunbook("answer.csx", RunbookSources.Answer);
        await host.Lock();
        await CompileOnce(host, "answer");
        var key = Path.Combine(host.SecretsDir, CompileCacheSeal.KeyFileName);
        File.SetUnixFileMode(key, (UnixFileMode)Convert.ToInt32(mode, 8));
        Directory.Delete(host.CacheDir, recursive: true);

        var run = await host.Run("run", "answer", "--tenant", "acme");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains($"compile cache key {key} may be read or changed by group or others: run chmod 600 {key}", run.StandardError);
    }

    /// <summary>Runs the runbook once and returns the cache entry that run created.</summary>
    private static async Task<string> CompileOnce(HostProcess host, string runbook)
    {
        var before = Entries(host);
        var run = await host.Run("run", runbook, "--tenant", "acme");
        Assert.True(run.ExitCode == 0, run.StandardError);
        return Entries(host).Except(before).Single();
    }

    private static string[] Entries(HostProcess host) =>
        Directory.Exists(host.CacheDir) ? Directory.GetFiles(host.CacheDir, "*" + CompiledRunbookCache.EntryExtension) : [];

    private static byte[] Forge(string forgery, string victim, string attackerEntry)
    {
        var attacker = File.ReadAllBytes(attackerEntry);
        var attackerDll = attacker[CompileCacheSeal.HeaderLength..];
        switch (forgery)
        {
            case "another runbook's entry":
                return attacker;
            case "bare DLL":
                return attackerDll;
            case "genuine header, foreign code":
                return [.. File.ReadAllBytes(victim)[..CompileCacheSeal.HeaderLength], .. attackerDll];
            case "sealed by another host":
                // A valid seal for exactly this entry, made with a key this host does not hold.
                var otherSecrets = Directory.CreateTempSubdirectory("rbh-other-host-").FullName;
                try { return CompileCacheSeal.Load(otherSecrets).Seal(Path.GetFileNameWithoutExtension(victim), attackerDll); }
                finally { Directory.Delete(otherSecrets, recursive: true); }
            default:
                throw new ArgumentOutOfRangeException(nameof(forgery));
        }
    }
}
