namespace RunbookHost.Cli;

/// <summary>The documented exit codes (README, `--help`). Scripts and the scheduler depend on them.</summary>
public static class ExitCodes
{
    public const int Success = 0;
    /// <summary>The runbook ran and failed (a step threw or a check failed); completed steps were rolled back.</summary>
    public const int RunbookFailed = 1;
    /// <summary>Bad command line, configuration, tenant id, parameter or runbook source: nothing was touched.</summary>
    public const int UsageError = 2;
    /// <summary>Evidence, a signature, a MAC, or a decryption key did not verify.</summary>
    public const int VerificationFailed = 3;
    /// <summary>Nothing failed, but something that should have been verified was not (a store, the registry, a pair): not a pass.</summary>
    public const int Incomplete = 4;

    public const string Help = """
        Exit codes:
          0  success
          1  the runbook failed (the output and evidence say which step, and what was rolled back)
          2  usage, configuration, validation or compile error: nothing was touched
          3  verification failed (evidence signature/chain, SOPS MAC, no usable key)
          4  incomplete: nothing failed, but something that should have been verified was not (the output says what)
        """;
}

/// <summary>A problem with what the user asked for, reported as one line with exit code 2 before any side effect.</summary>
public sealed class UsageException(string message) : Exception(message);
