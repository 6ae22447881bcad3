using System.Diagnostics;
using RunbookHost.IO;

namespace RunbookHost.Nats;

/// <summary>Where the running nats-server's configuration lives and how to reach it.</summary>
public sealed record NatsServerControl(string ConfigFile, string PidFile, Uri MonitorUrl, string ServerBinary = "nats-server")
{
    public TimeSpan ReloadTimeout { get; init; } = TimeSpan.FromSeconds(5);
}

/// <summary>What applying a configuration did. <see cref="Succeeded"/> is false exactly when the step must fail.</summary>
public sealed record NatsApplyResult(NatsApplyOutcome Outcome, string Detail)
{
    public bool Succeeded => Outcome is NatsApplyOutcome.Unchanged or NatsApplyOutcome.Reloaded or NatsApplyOutcome.WrittenServerNotRunning;
}

public enum NatsApplyOutcome
{
    /// <summary>The file already held this configuration: nothing written, no reload.</summary>
    Unchanged,
    /// <summary>Written, reloaded, and /varz config_load_time advanced.</summary>
    Reloaded,
    /// <summary>Written; no nats-server runs (its first start reads it).</summary>
    WrittenServerNotRunning,
    /// <summary>nats-server -t refused the configuration: the file was not touched.</summary>
    Refused,
    /// <summary>The server did not load it: the previous file was restored (and reloaded).</summary>
    RolledBack,
}

/// <summary>
/// Applies a configuration to the running nats-server: check it with <c>nats-server -t</c>, write it atomically,
/// send the reload signal, and confirm through /varz that <c>config_load_time</c> advanced (nats-server advances it
/// only after a reload succeeded). A configuration the server does not load (a syntax it refuses, or a change it
/// cannot apply live, such as the listen port) is rolled back: the previous file is restored and reloaded, and the
/// result says why in one line. One applier at a time per file (a lock file beside it).
/// </summary>
public sealed class NatsConfigApplier(NatsServerControl control, TimeProvider time)
{
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(100);

    public Task<NatsApplyResult> ApplyAsync(NatsServerConfiguration configuration, CancellationToken cancellationToken) =>
        ApplyTextAsync(NatsConfigWriter.Render(configuration), cancellationToken);

    /// <summary>The rendered text; internal so a test can offer a configuration the writer would never produce.</summary>
    internal async Task<NatsApplyResult> ApplyTextAsync(string text, CancellationToken cancellationToken)
    {
        using var folderLock = ExclusiveLockFile.Acquire(control.ConfigFile + ".lock", "the nats-server configuration",
            TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(200), time, cancellationToken)
            ?? throw new IOException($"another runbook-host is changing {control.ConfigFile}; try again");
        var previous = File.Exists(control.ConfigFile) ? await File.ReadAllTextAsync(control.ConfigFile, cancellationToken) : null;
        if (previous == text)
            return new(NatsApplyOutcome.Unchanged, $"{control.ConfigFile} already holds this configuration");
        if (await CheckAsync(text, cancellationToken) is { } refusal)
            return new(NatsApplyOutcome.Refused, $"nats-server -t refused the new configuration, {control.ConfigFile} unchanged: {refusal}");
        if (!NatsSignal.TryReadServerPid(control.PidFile, out var pid, out var notRunning))
        {
            AtomicFile.WriteText(control.ConfigFile, text);
            return new(NatsApplyOutcome.WrittenServerNotRunning, $"wrote {control.ConfigFile}; no reload ({notRunning})");
        }
        using var monitor = new NatsMonitor(control.MonitorUrl);
        NatsVarz before;
        try { before = await monitor.VarzAsync(cancellationToken); }
        catch (Exception error) when (error is HttpRequestException or TaskCanceledException)
        {
            return new(NatsApplyOutcome.Refused, $"nats-server's monitoring endpoint {control.MonitorUrl} is unreachable, so a reload could not be confirmed; {control.ConfigFile} unchanged");
        }
        AtomicFile.WriteText(control.ConfigFile, text);
        if (await ReloadAsync(pid, monitor, before.ConfigLoadTime, cancellationToken))
            return new(NatsApplyOutcome.Reloaded, $"nats-server (pid {pid}) reloaded {control.ConfigFile}");
        if (previous is null)
            File.Delete(control.ConfigFile);
        else
            AtomicFile.WriteText(control.ConfigFile, previous);
        var restored = previous is not null && await ReloadAsync(pid, monitor, before.ConfigLoadTime, cancellationToken);
        return new(NatsApplyOutcome.RolledBack,
            $"nats-server (pid {pid}) did not load the new configuration within {control.ReloadTimeout.TotalSeconds:0} s (its log says why); "
            + (restored ? "the previous configuration was restored and reloaded" : "the previous file was restored"));
    }

    /// <summary>Signals a reload and waits until config_load_time passes <paramref name="after"/>.</summary>
    private async Task<bool> ReloadAsync(int pid, NatsMonitor monitor, DateTimeOffset after, CancellationToken cancellationToken)
    {
        NatsSignal.Reload(pid);
        var deadline = time.GetUtcNow() + control.ReloadTimeout;
        while (time.GetUtcNow() < deadline)
        {
            await Task.Delay(Poll, time, cancellationToken);
            try
            {
                if ((await monitor.VarzAsync(cancellationToken)).ConfigLoadTime > after)
                    return true;
            }
            catch (Exception error) when (error is HttpRequestException or TaskCanceledException)
            {
                // the monitoring listener may be restarting during the reload: ask again
            }
        }
        return false;
    }

    /// <summary>nats-server's own check of a configuration; null when it is accepted, else its first error line.</summary>
    private async Task<string?> CheckAsync(string text, CancellationToken cancellationToken)
    {
        var folder = Path.GetDirectoryName(Path.GetFullPath(control.ConfigFile))!;
        var candidate = Path.Combine(folder, $".{Path.GetFileName(control.ConfigFile)}.{Guid.NewGuid():N}.check");
        AtomicFile.WriteText(candidate, text, AtomicFile.PrivateFile);
        try
        {
            var start = new ProcessStartInfo(control.ServerBinary) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
            start.ArgumentList.Add("-t");
            start.ArgumentList.Add("-c");
            start.ArgumentList.Add(candidate);
            using var process = Process.Start(start) ?? throw new IOException($"cannot start {control.ServerBinary}");
            var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
            var errors = process.StandardError.ReadToEndAsync(cancellationToken);
            await process.WaitForExitAsync(cancellationToken);
            if (process.ExitCode == 0)
                return null;
            var message = ((await errors) + "\n" + (await output)).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            return message.FirstOrDefault()?.Replace(candidate, "<candidate>", StringComparison.Ordinal) ?? $"exit code {process.ExitCode}";
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return $"{control.ServerBinary} is not installed";
        }
        finally
        {
            File.Delete(candidate);
        }
    }
}
