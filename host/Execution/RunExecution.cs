using System.Text.Json;
using RunbookHost.Cli.Scripting;
using RunbookHost.Configuration;
using RunbookHost.Evidence;
using RunbookHost.Registry;
using RunbookHost.Runbooks;
using RunbookHost.Tenants;
using Serilog;

namespace RunbookHost.Cli.Execution;

/// <summary>What every run does, whatever its scope: the record, the anchor before acting, the script, the outcome, the evidence.</summary>
internal sealed class RunExecution(HostSettings settings, TimeProvider clock, IEvidenceSink evidence)
{
    /// <summary>The registry row of a run recorded before it acts (null when there is no registry, or it is unreachable).</summary>
    public sealed record RunAnchor(TenantRegistry? Registry, Guid? RunId, string? WhyNotAct);

    public RunRecord NewRecord(RunbookRunner.Prepared prepared, string scope, string tenant, IReadOnlyDictionary<string, string> parameters) => new()
    {
        Runbook = prepared.Source.Metadata.Name,
        RunbookVersion = prepared.Source.Metadata.Version,
        RunbookFile = prepared.Subjects.Count > 0 ? prepared.Subjects[0].Name : prepared.Source.DisplayPath,
        RunbookSha256 = prepared.Source.SourceSha256,
        Subjects = prepared.Subjects,
        Scope = scope,
        Tenant = tenant,
        Parameters = parameters,
        DryRun = prepared.DryRun,
        StartedAt = clock.GetUtcNow(),
        HostVersion = HostInfo.Version,
        HostCommit = HostInfo.Commit,
        RunbooksCommit = prepared.RunbooksCommit,
        Operator = HostInfo.Operator,
    };

    /// <summary>
    /// Before the first side effect: the evidence can be written (else a one-line refusal, nothing touched), and the run is
    /// recorded in the registry with the chain head it will link to. A configured registry that cannot be reached makes the
    /// run incomplete, and every action it would take is refused: nothing is done that the registry did not see begin.
    /// </summary>
    public async Task<RunAnchor> Anchor(RunRecord record, TenantRegistry? registry, string? registryProblem, bool registryConfigured,
        TenantId? tenant, RunbookRunner.Prepared prepared, CancellationToken cancellationToken)
    {
        var previous = evidence.Preflight(record.Tenant, record.StartedAt);
        if (registry is null)
        {
            if (!registryConfigured)
                return new RunAnchor(null, null, null);
            record.Incomplete.Add(registryProblem!);
            return new RunAnchor(null, null, $"{registryProblem}, so this run could not be recorded there before acting");
        }
        var metadata = prepared.Source.Metadata;
        var runId = await registry.RecordRunStartedAsync(
            new RunStart(metadata.Name, metadata.Version, prepared.Source.SourceSha256, tenant, prepared.DryRun, record.StartedAt, previous), cancellationToken);
        return new RunAnchor(registry, runId, null);
    }

    public async Task<RunOutcome> Execute(RunbookRunner.Prepared prepared, RunRecord record, RunAnchor anchor, ILogger log, CancellationToken cancellationToken,
        Func<RunRecorder, Runbook> globals)
    {
        var recorder = new RunRecorder(record, prepared.DryRun, log, clock, cancellationToken, () => anchor.WhyNotAct);
        int? refusal = null;
        try
        {
            var result = await RunbookInvoker.Invoke(prepared.Compiled, globals(recorder));
            RunbookHost.Diagnostics.TimingTrace.Mark("runbook steps done");
            record.Result = result is null ? null : JsonSerializer.SerializeToNode(result, result.GetType());
            record.Outcome = Decide(record);
            if (record.Outcome == RunOutcomes.Failed)
                record.Error = $"{record.Checks.Count(c => c.Status == CheckStatus.Fail)} check(s) failed";
        }
        catch (Exception error)
        {
            refusal = Refusal(error);
            record.Outcome = RunOutcomes.Failed;
            record.Error = Describe(error);
            log.Error("{Runbook} failed: {Error}", record.Runbook, record.Error);
            log.Debug(error, "{Runbook} failure details", record.Runbook);
            await recorder.RollbackAsync();
        }
        if (record.Outcome == RunOutcomes.Incomplete)
            log.Warning("{Runbook} incomplete: {Why}", record.Runbook, IncompleteSummary(record));
        record.FinishedAt = clock.GetUtcNow();
        var file = evidence.Write(record);
        RunbookHost.Diagnostics.TimingTrace.Mark("evidence signed and written");
        if (anchor is { Registry: { } registry, RunId: { } id })
            await registry.RecordRunFinishedAsync(id, new RunFinish(Status(record.Outcome), record.FinishedAt,
                Path.GetRelativePath(settings.Paths.Evidence, file), EvidenceFormat.Sha256Hex(File.ReadAllBytes(file))), CancellationToken.None);
        RunbookHost.Diagnostics.TimingTrace.Mark("run finish recorded in registry");
        log.Debug("runbook {Runbook} {Version}: {How}", record.Runbook, record.RunbookVersion, prepared.Compiled.Compiled ? "compiled" : "loaded from cache");
        log.Information("evidence: {File}", file);
        var summary = record.Error ?? (record.Outcome == RunOutcomes.Incomplete ? IncompleteSummary(record) : null);
        return new RunOutcome(record.Tenant, record.Outcome, file, prepared.Compiled.Compiled, RunbookRunner.CompilerLoaded(), summary, record.RolledBack, record.Result, refusal);
    }

    /// <summary>
    /// A failure that is a refusal of what was asked, not a broken step: the evidence records it like any failure, and the
    /// exit code is 2 (e.g. a tenant beyond the network pool, or a restore's file parameter that is no backup: refused before
    /// anything was created), or 3 when a backup has no usable key (purged, missing) or a MAC that does not match.
    /// </summary>
    private static int? Refusal(Exception error) => (error as RunbookStepException)?.InnerException switch
    {
        RunbookHost.Network.NetworkPoolExhaustedException => ExitCodes.UsageError,
        RunbookHost.Pki.InvalidComponentIdentityException => ExitCodes.UsageError, // a component or partition that is no name: nothing was issued
        RunbookHost.Keys.KeyRing.BackupFileException => ExitCodes.UsageError, // the file parameter is no backup: nothing was touched
        RunbookHost.Keys.KeyRing.RestoreRefusedException => ExitCodes.UsageError, // e.g. store credentials differ without apply=true: nothing was touched
        RunbookHost.Keys.KeyRing.BackupKeyException => ExitCodes.VerificationFailed, // no usable key (purged, missing) or MAC mismatch
        _ => null,
    };

    /// <summary>Failed if any check failed; incomplete if anything that should have been verified was not; passed otherwise.</summary>
    private static string Decide(RunRecord record) =>
        record.Checks.Any(c => c.Status == CheckStatus.Fail) ? RunOutcomes.Failed
        : record.Incomplete.Count > 0 || record.Checks.Any(c => c.Status == CheckStatus.Incomplete) ? RunOutcomes.Incomplete
        : RunOutcomes.Passed;

    private static string Status(string outcome) => outcome switch
    {
        RunOutcomes.Passed => RunStatus.Succeeded,
        RunOutcomes.Incomplete => RunStatus.Incomplete,
        _ => RunStatus.Failed,
    };

    /// <summary>Which checks could not run, and why, in one line (the evidence has every reason).</summary>
    private static string IncompleteSummary(RunRecord record)
    {
        var checks = record.Checks.Where(c => c.Status == CheckStatus.Incomplete).ToList();
        var names = checks.Select(c => $"{c.Store}/{c.Test}").Distinct().ToList();
        var reasons = record.Incomplete.Concat(checks.Select(c => c.Detail ?? "")).Where(r => r.Length > 0).Distinct().ToList();
        var what = names.Count == 0 ? "" : $"{names.Count} check(s) not verified ({string.Join(", ", names.Take(6))}{(names.Count > 6 ? ", …" : "")}); ";
        return what + $"why: {reasons.FirstOrDefault() ?? "unknown"}" + (reasons.Count > 1 ? $" (+{reasons.Count - 1} more reasons in the evidence)" : "");
    }

    /// <summary>A runbook failure as one line, pointing at the runbook line when the failure came from the script itself.</summary>
    private static string Describe(Exception error)
    {
        var frame = new System.Diagnostics.StackTrace(error, fNeedFileInfo: true).GetFrames()
            .FirstOrDefault(f => f.GetFileName()?.EndsWith(".csx", StringComparison.Ordinal) == true);
        var where = frame is null ? "" : $" (at {Path.GetFileName(frame.GetFileName())}:{frame.GetFileLineNumber()})";
        return error.Message.Split('\n')[0].Trim() + where;
    }
}
