using System.Diagnostics;

namespace RunbookHost.Runbooks;

/// <summary>
/// TEST HOOK (fault injection) for the crash-safety test: when the environment variable
/// <c>RUNBOOKHOST_TEST_KILL_AT</c> names a point the key ring has just passed (e.g. <c>rotate:swap</c>),
/// (or, for <c>step:N</c>, the Nth runbook step has just completed) the process kills itself with SIGKILL — no finally blocks, no flush, exactly like <c>kill -9</c>.
/// Unset (always, in production) it does nothing. The points are listed in docs/keys.md.
/// </summary>
public static class CrashTestHook
{
    public const string Variable = "RUNBOOKHOST_TEST_KILL_AT";

    /// <summary>Every point, in the order a rotation passes them.</summary>
    public static readonly IReadOnlyList<string> RotationPoints =
    [
        "rotate:begin", "rotate:new-key", "rotate:check", "rotate:swap", "rotate:verify",
        "rotate:archive", "rotate:promote-rename", "rotate:promote-pub", "rotate:registry", "rotate:complete",
    ];

    /// <summary>The points of a restore-secrets install: the replaced file kept, then the restored file in place.</summary>
    public static readonly IReadOnlyList<string> RestorePoints = ["restore:kept", "restore:installed"];

    public static void Reached(string point)
    {
        var target = Environment.GetEnvironmentVariable(Variable);
        if (string.IsNullOrEmpty(target) || !string.Equals(target, point, StringComparison.Ordinal))
            return;
        using var self = Process.GetCurrentProcess();
        self.Kill(); // SIGKILL on Unix
        Thread.Sleep(Timeout.Infinite);
    }
}
