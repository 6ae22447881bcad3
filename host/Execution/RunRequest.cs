namespace RunbookHost.Cli.Execution;

/// <summary>One `run` as the user typed it, before validation.</summary>
internal sealed record RunRequest(string Runbook, string Tenant, IReadOnlyList<string> Params, bool DryRun);

/// <summary>What a run produced: the exit code, the evidence file, and how the runbook was obtained.</summary>
internal sealed record RunOutcome(string Tenant, int ExitCode, string? EvidenceFile, bool Compiled, bool CompilerLoaded, string? Error, IReadOnlyList<string> RolledBack, System.Text.Json.Nodes.JsonNode? Result);
