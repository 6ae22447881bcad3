using RunbookHost.Runbooks;

namespace RunbookHost.Cli.Scripting;

/// <summary>Calls a compiled script the way Roslyn's own script runner does: slot 0 holds the globals.</summary>
internal static class RunbookInvoker
{
    public static Task<object> Invoke(CompiledRunbookCache.Entry entry, Runbook globals)
    {
        var submissionStates = new object[2];
        submissionStates[0] = globals;
        return entry.Factory(submissionStates);
    }
}
