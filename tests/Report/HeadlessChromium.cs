using System.Text;
using System.Text.Json;
using CliWrap;
using CliWrap.Buffered;

namespace RunbookHost.Tests.Report;

/// <summary>
/// Debian's chromium, headless, in a throwaway profile. The browser's own background requests (update checks, account
/// lookups) are sent to a closed loopback port and every host name resolves to nothing, so no test traffic can leave
/// the machine; its network log then tells apart the browser's requests ("not an origin") from the page's.
/// </summary>
internal sealed class HeadlessChromium : IDisposable
{
    private readonly DirectoryInfo _profile = Directory.CreateTempSubdirectory("rbh-chromium-");

    public string NetLog => Path.Combine(_profile.FullName, "net-log.json");

    public static string Executable { get; } = new[] { "/usr/bin/chromium", "/usr/bin/chromium-browser" }.FirstOrDefault(File.Exists)
        ?? throw new InvalidOperationException("chromium is not installed: scripts/local-services.sh installs it (apt package chromium)");

    /// <summary>The DOM after the page's scripts ran, as HTML.</summary>
    public async Task<string> DumpDom(string file, string fragment = "", string windowSize = "1400,1000")
    {
        var result = await Run([$"--window-size={windowSize}", "--dump-dom", new Uri(file).AbsoluteUri + fragment]);
        return result.StandardOutput;
    }

    public async Task Screenshot(string file, string png, string fragment = "", string windowSize = "1400,1000") =>
        await Run([$"--window-size={windowSize}", $"--screenshot={png}", new Uri(file).AbsoluteUri + fragment]);

    private async Task<BufferedCommandResult> Run(string[] args)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        string[] common =
        [
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--no-first-run", "--disable-default-apps", "--disable-extensions", "--no-pings", "--disable-domain-reliability",
            "--host-resolver-rules=MAP * ~NOTFOUND", "--proxy-server=127.0.0.1:9", $"--user-data-dir={_profile.FullName}", $"--log-net-log={NetLog}",
        ];
        var result = await CliWrap.Cli.Wrap(Executable).WithArguments(common.Concat(args)).WithValidation(CommandResultValidation.None)
            .ExecuteBufferedAsync(Encoding.UTF8, Encoding.UTF8, timeout.Token);
        Assert.True(result.ExitCode == 0, $"chromium exited {result.ExitCode}: {result.StandardError}");
        return result;
    }

    /// <summary>Every URL a page asked for (requests whose initiator is an origin, not the browser itself).</summary>
    public IReadOnlyList<string> PageRequests()
    {
        using var log = JsonDocument.Parse(File.ReadAllBytes(NetLog));
        var startJob = log.RootElement.GetProperty("constants").GetProperty("logEventTypes").GetProperty("URL_REQUEST_START_JOB").GetInt32();
        return log.RootElement.GetProperty("events").EnumerateArray()
            .Where(e => e.GetProperty("type").GetInt32() == startJob && e.TryGetProperty("params", out var p) && p.TryGetProperty("url", out _))
            .Select(e => e.GetProperty("params"))
            .Where(p => !p.TryGetProperty("initiator", out var i) || i.GetString() != "not an origin")
            .Select(p => p.GetProperty("url").GetString()!)
            .ToList();
    }

    public void Dispose()
    {
        try { _profile.Delete(recursive: true); } catch (IOException) { }
    }
}
