using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Runtime;

namespace RunbookHost.Diagnostics;

/// <summary>
/// Where a run's wall time goes, for profiling (docs/benchmarks.md): <c>RUNBOOKHOST_TIMING=1</c> prints, on stderr at the
/// end of the process, one line per phase mark (milliseconds since the process started, methods the JIT compiled and
/// assemblies loaded by then) and the summed time of counted operations (connections opened, fsyncs, signatures).
/// Off by default; when off every call is one static bool test. Never prints a value, only names chosen in code.
/// </summary>
public static class TimingTrace
{
    public const string Variable = "RUNBOOKHOST_TIMING";

    /// <summary>True when <see cref="Variable"/> is 1.</summary>
    public static readonly bool Enabled = Environment.GetEnvironmentVariable(Variable) == "1";

    private static int assemblyLoads;

    /// <summary>Built on the first mark, only when tracing is on: a run without it pays for none of this.</summary>
    private static class State
    {
        public static readonly Stopwatch Clock = Stopwatch.StartNew();
        public static readonly double BeforeClockMs = MillisecondsSinceProcessStart();
        public static readonly ConcurrentQueue<string> Marks = new();
        public static readonly ConcurrentDictionary<string, (int Count, long Ticks)> Totals = new(StringComparer.Ordinal);

        static State()
        {
            AppDomain.CurrentDomain.AssemblyLoad += (_, _) => Interlocked.Increment(ref assemblyLoads);
            AppDomain.CurrentDomain.ProcessExit += (_, _) => Print(Console.Error);
        }
    }

    /// <summary>Records that the process reached <paramref name="phase"/> (a name written in code, never data).</summary>
    public static void Mark(string phase)
    {
        if (!Enabled)
            return;
        var ms = State.BeforeClockMs + State.Clock.Elapsed.TotalMilliseconds;
        State.Marks.Enqueue(string.Create(CultureInfo.InvariantCulture,
            $"timing: {ms,8:0.0} ms  {phase,-34} jit {System.Runtime.JitInfo.GetCompiledMethodCount(),5} methods {System.Runtime.JitInfo.GetCompilationTime().TotalMilliseconds,6:0.0} ms  assemblies {AppDomain.CurrentDomain.GetAssemblies().Length,3} (+{Volatile.Read(ref assemblyLoads)} since start)  gc {GC.CollectionCount(0)}"));
    }

    /// <summary>Times one counted operation (e.g. "postgres: open"); dispose the result when it ends. Null when off.</summary>
    public static Span? Measure(string operation) => Enabled ? new Span(operation, Stopwatch.GetTimestamp()) : null;

    public sealed class Span(string operation, long started) : IDisposable
    {
        public void Dispose()
        {
            var elapsed = Stopwatch.GetTimestamp() - started;
            State.Totals.AddOrUpdate(operation, (1, elapsed), (_, t) => (t.Count + 1, t.Ticks + elapsed));
        }
    }

    internal static void Print(TextWriter output)
    {
        Mark("exit");
        foreach (var line in State.Marks)
            output.WriteLine(line);
        foreach (var (operation, (count, ticks)) in State.Totals.OrderBy(t => t.Key, StringComparer.Ordinal))
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"timing: total {operation,-32} {count,5}x {ticks * 1000.0 / Stopwatch.Frequency,8:0.0} ms"));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"timing: server GC {GCSettings.IsServerGC}, peak working set {Process.GetCurrentProcess().PeakWorkingSet64 >> 20} MiB"));
        output.Flush();
    }

    /// <summary>Process start → now, from /proc (10 ms resolution): the runtime's own start-up before any managed code ran.</summary>
    private static double MillisecondsSinceProcessStart()
    {
        try
        {
            var stat = File.ReadAllText("/proc/self/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            var startTicks = double.Parse(fields[19], CultureInfo.InvariantCulture); // field 22: starttime, in clock ticks since boot
            var uptime = double.Parse(File.ReadAllText("/proc/uptime").Split(' ')[0], CultureInfo.InvariantCulture);
            return Math.Max(0, (uptime - startTicks / 100.0) * 1000.0);
        }
        catch (Exception error) when (error is IOException or FormatException or UnauthorizedAccessException or IndexOutOfRangeException)
        {
            return 0;
        }
    }
}
