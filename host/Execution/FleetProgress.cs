using System.Diagnostics;
using RunbookHost.Evidence;
using Spectre.Console;

namespace RunbookHost.Cli.Execution;

/// <summary>
/// Progress of a run over several tenants, on stderr (stdout stays for the result): on a terminal a live bar with
/// done/total, failures so far, rate and time left; on a pipe a plain line at every tenth of the way; nothing for --json.
/// </summary>
internal sealed class FleetProgress(bool enabled)
{
    public static FleetProgress For(bool json) => new(!json);

    public async Task Track(string runbook, int total, Func<Action<RunOutcome>, Task> run)
    {
        var counts = new Counts(total);
        if (!enabled || total < 2)
        {
            await run(outcome => counts.Add(outcome));
            return;
        }
        if (!Console.IsErrorRedirected)
        {
            var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
            await console.Progress()
                .AutoClear(false)
                .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(),
                    new ElapsedTimeColumn(), new RemainingTimeColumn(), new SpinnerColumn())
                .StartAsync(async context =>
                {
                    var task = context.AddTask(Markup.Escape(counts.Line(runbook)), maxValue: total);
                    await run(outcome =>
                    {
                        counts.Add(outcome);
                        task.Description = Markup.Escape(counts.Line(runbook));
                        task.Increment(1);
                    });
                });
            return;
        }
        var step = Math.Max(1, total / 10);
        await run(outcome =>
        {
            var done = counts.Add(outcome);
            if (done % step == 0 || done == total)
                Console.Error.WriteLine($"progress: {counts.Line(runbook)}");
        });
    }

    /// <summary>Thread-safe tallies of finished tenants.</summary>
    private sealed class Counts(int total)
    {
        private readonly Stopwatch clock = Stopwatch.StartNew();
        private int done, failed, incomplete;

        public int Add(RunOutcome outcome)
        {
            if (outcome.Outcome == RunOutcomes.Incomplete && outcome.ExitCodeOverride is null)
                Interlocked.Increment(ref incomplete);
            else if (outcome.ExitCode != ExitCodes.Success)
                Interlocked.Increment(ref failed);
            return Interlocked.Increment(ref done);
        }

        public string Line(string runbook)
        {
            var finished = Volatile.Read(ref done);
            var seconds = clock.Elapsed.TotalSeconds;
            var rate = seconds > 0 ? finished / seconds : 0;
            var eta = rate > 0 && finished < total ? $", ~{TimeSpan.FromSeconds((total - finished) / rate):mm\\:ss} left" : "";
            return $"{runbook}: {finished}/{total} tenants, {Volatile.Read(ref failed)} failed, {Volatile.Read(ref incomplete)} incomplete, {rate:0.0}/s{eta}";
        }
    }
}
