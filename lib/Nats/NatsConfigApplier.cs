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
/// Applies a configuration and its client-CA bundle to the running nats-server together: check them with
/// <c>nats-server -t</c>, write both atomically, send the reload signal, and confirm through /varz that
/// <c>config_load_time</c> advanced (nats-server advances it only after a reload succeeded, server/reload.go). What the
/// server does not load (a syntax it refuses, a change it cannot apply live such as the listen port) is rolled back:
/// the previous files are restored and reloaded, and the result says why in one line. The bundle is part of the
/// change because trust changes (a CA added, retired, revoked) take effect only by a reload. One applier at a time
/// per file (a lock file beside it).
/// </summary>
public sealed class NatsConfigApplier(NatsServerControl control, TimeProvider time)
{
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(100);

    /// <summary>Writes <paramref name="configuration"/> and <paramref name="clientCaBundlePem"/> (see <see cref="NatsTrustBundle"/>) and reloads.</summary>
    public async Task<NatsApplyResult> ApplyAsync(NatsServerConfiguration configuration, string clientCaBundlePem, CancellationToken cancellationToken)
    {
        if (!NatsTrustBundle.IsValid(clientCaBundlePem, out var refusal))
            return new(NatsApplyOutcome.Refused, $"the client-CA bundle is refused, nothing written: {refusal}");
        return await ApplyTextAsync(NatsConfigWriter.Render(configuration), clientCaBundlePem,
            candidateBundle => NatsConfigWriter.Render(configuration with { Server = configuration.Server with { ClientCaFile = candidateBundle } }),
            configuration.Server.ClientCaFile, cancellationToken);
    }

    /// <summary>
    /// The rendered text; internal so a test can offer a configuration the writer would never produce.
    /// <paramref name="renderWithBundle"/> renders the same configuration naming a candidate bundle, for the check.
    /// </summary>
    internal async Task<NatsApplyResult> ApplyTextAsync(string text, string bundle, Func<string, string> renderWithBundle, string bundleFile, CancellationToken cancellationToken)
    {
        using var fileLock = ExclusiveLockFile.Acquire(control.ConfigFile + ".lock", "the nats-server configuration",
            TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(200), time, cancellationToken)
            ?? throw new IOException($"another runbook-host is changing {control.ConfigFile}; try again");
        var previous = File.Exists(control.ConfigFile) ? await File.ReadAllTextAsync(control.ConfigFile, cancellationToken) : null;
        var previousBundle = File.Exists(bundleFile) ? await File.ReadAllTextAsync(bundleFile, cancellationToken) : null;
        if (previous == text && previousBundle == bundle)
            return new(NatsApplyOutcome.Unchanged, $"{control.ConfigFile} and {bundleFile} already hold this configuration");
        if (await CheckAsync(bundle, renderWithBundle, bundleFile, cancellationToken) is { } refusal)
            return new(NatsApplyOutcome.Refused, $"nats-server -t refused the new configuration, nothing written: {refusal}");
        if (!NatsSignal.TryReadServerPid(control.PidFile, out var pid, out var notRunning))
        {
            Write(bundleFile, bundle, text);
            return new(NatsApplyOutcome.WrittenServerNotRunning, $"wrote {control.ConfigFile}; no reload ({notRunning})");
        }
        using var monitor = new NatsMonitor(control.MonitorUrl);
        NatsVarz before;
        try { before = await monitor.VarzAsync(cancellationToken); }
        catch (Exception error) when (error is HttpRequestException or TaskCanceledException)
        {
            return new(NatsApplyOutcome.Refused, $"nats-server's monitoring endpoint {control.MonitorUrl} is unreachable, so a reload could not be confirmed; nothing written");
        }
        Write(bundleFile, bundle, text);
        if (await ReloadAsync(pid, monitor, before.ConfigLoadTime, cancellationToken))
            return new(NatsApplyOutcome.Reloaded, $"nats-server (pid {pid}) reloaded {control.ConfigFile}");
        Restore(bundleFile, previousBundle);
        Restore(control.ConfigFile, previous);
        var restored = previous is not null && await ReloadAsync(pid, monitor, before.ConfigLoadTime, cancellationToken);
        return new(NatsApplyOutcome.RolledBack,
            $"nats-server (pid {pid}) did not load the new configuration within {control.ReloadTimeout.TotalSeconds:0} s (its log says why); "
            + (restored ? "the previous configuration was restored and reloaded" : "the previous files were restored"));
    }

    /// <summary>Bundle first: the new configuration may trust a CA only the new bundle has.</summary>
    private void Write(string bundleFile, string bundle, string text)
    {
        AtomicFile.WriteText(bundleFile, bundle);
        AtomicFile.WriteText(control.ConfigFile, text);
    }

    private static void Restore(string path, string? previous)
    {
        if (previous is null)
            File.Delete(path);
        else
            AtomicFile.WriteText(path, previous);
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

    /// <summary>nats-server's own check of the candidate configuration and bundle; null when accepted, else its first error line.</summary>
    private async Task<string?> CheckAsync(string bundle, Func<string, string> renderWithBundle, string bundleFile, CancellationToken cancellationToken)
    {
        var nonce = Guid.NewGuid().ToString("N");
        var candidateBundle = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(bundleFile))!, $".{Path.GetFileName(bundleFile)}.{nonce}.check");
        var candidate = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(control.ConfigFile))!, $".{Path.GetFileName(control.ConfigFile)}.{nonce}.check");
        try
        {
            AtomicFile.WriteText(candidateBundle, bundle, AtomicFile.PrivateFile);
            AtomicFile.WriteText(candidate, renderWithBundle(candidateBundle), AtomicFile.PrivateFile);
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
            File.Delete(candidateBundle);
        }
    }
}
