namespace RunbookHost.Cli.Execution;

/// <summary>What a run produced: the exit code, the evidence file, and how the runbook was obtained.</summary>
internal sealed record RunOutcome(string Tenant, int ExitCode, string? EvidenceFile, bool Compiled, bool CompilerLoaded, string? Error, IReadOnlyList<string> RolledBack, System.Text.Json.Nodes.JsonNode? Result);
