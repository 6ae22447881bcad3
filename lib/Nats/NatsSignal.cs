using System.Runtime.InteropServices;

namespace RunbookHost.Nats;

/// <summary>
/// Sends SIGHUP (nats-server's reload signal, as <c>nats-server --signal reload=&lt;pid&gt;</c> does) to the pid in the
/// server's pid file, after checking that the pid is a nats-server process: a stale pid file must never make the host
/// signal an unrelated process.
/// </summary>
internal static partial class NatsSignal
{
    private const int SigHup = 1;

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);

    /// <summary>The running nats-server's pid from <paramref name="pidFile"/>, or why there is none.</summary>
    public static bool TryReadServerPid(string pidFile, out int pid, out string reason)
    {
        pid = 0;
        reason = "";
        string text;
        try { text = File.ReadAllText(pidFile).Trim(); }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            reason = $"cannot read the pid file {pidFile}: {error.GetType().Name}";
            return false;
        }
        if (!int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out pid) || pid < 2)
        {
            reason = $"the pid file {pidFile} does not hold a process id";
            return false;
        }
        string command;
        try { command = File.ReadAllText($"/proc/{pid}/comm").Trim(); }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            reason = $"process {pid} from {pidFile} is not running";
            return false;
        }
        if (command != "nats-server")
        {
            reason = $"process {pid} from {pidFile} is not nats-server";
            return false;
        }
        return true;
    }

    public static void Reload(int pid)
    {
        if (Kill(pid, SigHup) != 0)
            throw new IOException($"cannot signal nats-server (pid {pid}): errno {Marshal.GetLastPInvokeError()}");
    }
}
